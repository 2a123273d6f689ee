package netboxsim

import (
	"fmt"
	"slices"
)

// This file is the Go API tests and the demo use to look at and change
// the simulated NetBox. Every mutation behaves like the same change made
// through NetBox's UI: it bumps last_updated, writes the change log and
// fires the event-rule webhooks.

// Inventory returns a copy of the whole database.
func (s *Server) Inventory() Inventory {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.inventory()
}

// Devices returns a copy of every device, in id order.
func (s *Server) Devices() []Device {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return derefAll(s.st.devices.all(), Device.clone)
}

// DeviceCount is the number of devices.
func (s *Server) DeviceCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.st.devices.ids)
}

// Device returns a copy of one device.
func (s *Server) Device(id int) (Device, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.st.devices.get(id)
	if d == nil {
		return Device{}, false
	}
	return d.clone(), true
}

// IPAddress returns a copy of one IP address.
func (s *Server) IPAddress(id int) (IPAddress, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ip := s.st.ips.get(id)
	if ip == nil {
		return IPAddress{}, false
	}
	return ip.clone(), true
}

// IPAddresses returns a copy of every IP address, in id order.
func (s *Server) IPAddresses() []IPAddress {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return derefAll(s.st.ips.all(), IPAddress.clone)
}

// Sites returns a copy of every site, in id order.
func (s *Server) Sites() []Site {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return derefAll(s.st.sites.all(), func(x Site) Site { return x })
}

// CreateDevice adds a device (its ID is assigned; Created and LastUpdated
// are set) and fires a "created" webhook.
func (s *Server) CreateDevice(d Device) (Device, error) {
	var out Device
	err := s.goAPI(func(t *tx) error {
		row, errs := t.createDevice(d)
		if !errs.empty() {
			return errs.err("create device")
		}
		out = row.clone()
		return nil
	})
	return out, err
}

// UpdateDevice applies fn to a copy of the device, validates it, saves it
// with a new last_updated and fires an "updated" webhook, even when fn
// changed nothing (as NetBox does on every save).
func (s *Server) UpdateDevice(id int, fn func(*Device)) (Device, error) {
	var out Device
	err := s.goAPI(func(t *tx) error {
		row, errs, found := t.updateDevice(id, fn)
		switch {
		case !found:
			return fmt.Errorf("update device %d: %w", id, ErrNotFound)
		case !errs.empty():
			return errs.err(fmt.Sprintf("update device %d", id))
		}
		out = row.clone()
		return nil
	})
	return out, err
}

// DeleteDevice removes a device with its interfaces and their IP
// addresses, firing "deleted" webhooks for each.
func (s *Server) DeleteDevice(id int) error {
	return s.goAPI(func(t *tx) error {
		if !t.deleteDevice(id) {
			return fmt.Errorf("delete device %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// SetPrimaryIP makes address ("10.1.2.3/24"; a bare address gets /32 or
// /128) the device's primary IP of its family. It reuses an address already
// on one of the device's interfaces, or creates it on the first interface
// (creating "mgmt0" when the device has none). Webhooks: the IP's
// "created" when new, then the device's "updated".
func (s *Server) SetPrimaryIP(deviceID int, address string) (IPAddress, error) {
	cidr, ok := normalizeAddress(address)
	if !ok {
		return IPAddress{}, fmt.Errorf("set primary ip of device %d: %w: address: Invalid IP address format: %s", deviceID, ErrInvalid, address)
	}
	var out IPAddress
	err := s.goAPI(func(t *tx) error {
		st := s.st
		if st.devices.get(deviceID) == nil {
			return fmt.Errorf("set primary ip of device %d: %w", deviceID, ErrNotFound)
		}
		ip := s.deviceAddress(deviceID, cidr)
		if ip == nil {
			ifaceID := s.ensureInterface(deviceID)
			created, errs := t.createIP(IPAddress{Address: cidr, Status: "active", InterfaceID: ifaceID})
			if !errs.empty() {
				return errs.err("create ip address")
			}
			ip = created
		}
		_, errs, _ := t.updateDevice(deviceID, func(d *Device) {
			if familyOf(ip.Address) == "6" {
				d.PrimaryIP6ID = ip.ID
			} else {
				d.PrimaryIP4ID = ip.ID
			}
		})
		if !errs.empty() {
			return errs.err(fmt.Sprintf("set primary ip of device %d", deviceID))
		}
		out = ip.clone()
		return nil
	})
	return out, err
}

// ClearPrimaryIP removes the device's primary IPv4 and IPv6 (the addresses
// stay on their interfaces) and fires the device's "updated" webhook.
func (s *Server) ClearPrimaryIP(deviceID int) error {
	_, err := s.UpdateDevice(deviceID, func(d *Device) { d.PrimaryIP4ID, d.PrimaryIP6ID = 0, 0 })
	return err
}

// CreateIPAddress adds an IP address (assign it with InterfaceID) and fires
// its "created" webhook.
func (s *Server) CreateIPAddress(ip IPAddress) (IPAddress, error) {
	var out IPAddress
	err := s.goAPI(func(t *tx) error {
		row, errs := t.createIP(ip)
		if !errs.empty() {
			return errs.err("create ip address")
		}
		out = row.clone()
		return nil
	})
	return out, err
}

// UpdateIPAddress applies fn to a copy of the address and saves it. As in
// NetBox, a device using it as primary IP is not touched: no device
// webhook, no device last_updated bump (reference §2.2 caveat).
func (s *Server) UpdateIPAddress(id int, fn func(*IPAddress)) (IPAddress, error) {
	var out IPAddress
	err := s.goAPI(func(t *tx) error {
		row, errs, found := t.updateIP(id, fn)
		switch {
		case !found:
			return fmt.Errorf("update ip address %d: %w", id, ErrNotFound)
		case !errs.empty():
			return errs.err(fmt.Sprintf("update ip address %d", id))
		}
		out = row.clone()
		return nil
	})
	return out, err
}

// ChangeIPAddress changes an address's value, e.g. renumbering a device's
// primary IP from 10.1.0.5/24 to 10.1.0.50/24.
func (s *Server) ChangeIPAddress(id int, address string) (IPAddress, error) {
	return s.UpdateIPAddress(id, func(ip *IPAddress) { ip.Address = address })
}

// DeleteIPAddress removes an address; a device using it as primary is
// saved without it, which fires that device's "updated" webhook too.
func (s *Server) DeleteIPAddress(id int) error {
	return s.goAPI(func(t *tx) error {
		if !t.deleteIP(id) {
			return fmt.Errorf("delete ip address %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// RenameSite renames a site. Its devices are not saved, so their
// last_updated stays (reference §2.2); a dcim.site webhook fires only when
// Options.WebhookObjectTypes subscribes to sites.
func (s *Server) RenameSite(id int, name string) (Site, error) {
	var out Site
	err := s.goAPI(func(t *tx) error {
		row, errs, found := t.updateSite(id, func(site *Site) { site.Name = name })
		switch {
		case !found:
			return fmt.Errorf("rename site %d: %w", id, ErrNotFound)
		case !errs.empty():
			return errs.err(fmt.Sprintf("rename site %d", id))
		}
		out = *row
		return nil
	})
	return out, err
}

// deviceAddress finds address on one of the device's interfaces.
func (s *Server) deviceAddress(deviceID int, cidr string) *IPAddress {
	idx := s.st.indexes()
	for _, ifaceID := range idx.deviceInterfaces[deviceID] {
		for _, ipID := range idx.interfaceIPs[ifaceID] {
			if ip := s.st.ips.get(ipID); ip != nil && ip.Address == cidr {
				return ip
			}
		}
	}
	return nil
}

// ensureInterface returns the device's first interface, creating "mgmt0".
func (s *Server) ensureInterface(deviceID int) int {
	st := s.st
	if ifaces := st.indexes().deviceInterfaces[deviceID]; len(ifaces) > 0 {
		return slices.Min(ifaces)
	}
	iface := &Interface{ID: st.interfaces.nextID(), DeviceID: deviceID, Name: "mgmt0"}
	st.interfaces.insert(iface)
	st.invalidate()
	return iface.ID
}

// CustomFields returns a copy of every custom field, in id order.
func (s *Server) CustomFields() []CustomField {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return derefAll(s.st.customFields.all(), CustomField.clone)
}

// CustomLinks returns a copy of every custom link, in id order.
func (s *Server) CustomLinks() []CustomLink {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return derefAll(s.st.customLinks.all(), CustomLink.clone)
}

// JournalEntries returns a copy of every journal entry, in id order.
func (s *Server) JournalEntries() []JournalEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return derefAll(s.st.journal.all(), JournalEntry.clone)
}

// Webhooks returns a copy of every webhook, in id order.
func (s *Server) Webhooks() []Webhook {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return derefAll(s.st.webhooks.all(), Webhook.clone)
}

// EventRules returns a copy of every event rule, in id order.
func (s *Server) EventRules() []EventRule {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return derefAll(s.st.eventRules.all(), EventRule.clone)
}
