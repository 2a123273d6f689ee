package netbox

import (
	"encoding/json"
	"time"
)

// Pages of devices are most of what an export reads, and the lenient
// decoders (Device.UnmarshalJSON and the nested Ref, DeviceType, Choice,
// Tag and IPRef ones) each hand their bytes to json.Unmarshal again, which
// checks its whole input before decoding it: a nested object's bytes were
// scanned about six times. A list page of NetBox 4.x has one form, so it
// is first decoded into plain structs with no decoder of their own, two
// passes over the page, and the lenient decode runs only for a page that
// strays from that form (a bare id for a nested object, a tag as a name, a
// choice as a bare value). Both give the same Device
// (TestListPageDecodesAsTheLenientDecoderDoes).

// listDecoder is an answer type with a faster decode for the common form;
// decodeList reports false to leave body to json.Unmarshal.
type listDecoder interface {
	decodeList(body []byte) bool
}

// decodeList decodes a page of devices through deviceWire; other pages,
// and a device page in another form, are left to json.Unmarshal.
func (p *page[T]) decodeList(body []byte) bool {
	devices, ok := any(p).(*page[Device])
	if !ok {
		return false
	}
	var w page[deviceWire]
	if json.Unmarshal(body, &w) != nil {
		return false
	}
	out := page[Device]{Count: w.Count, Next: w.Next, Previous: w.Previous, Results: make([]Device, len(w.Results))}
	for i := range w.Results {
		d, ok := w.Results[i].device()
		if !ok {
			return false
		}
		out.Results[i] = d
	}
	*devices = out
	return true
}

type refWire struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	Display     string `json:"display"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
}

func (r *refWire) ref() Ref {
	if r == nil {
		return Ref{}
	}
	return Ref(*r)
}

func (r *refWire) ptr() *Ref {
	if r == nil {
		return nil
	}
	ref := Ref(*r)
	return &ref
}

type deviceTypeWire struct {
	ID           int64   `json:"id"`
	URL          string  `json:"url"`
	Display      string  `json:"display"`
	Manufacturer refWire `json:"manufacturer"`
	Model        string  `json:"model"`
	Slug         string  `json:"slug"`
	Description  string  `json:"description"`
}

type ipRefWire struct {
	ID          int64           `json:"id"`
	URL         string          `json:"url"`
	Display     string          `json:"display"`
	Family      json.RawMessage `json:"family"`
	Address     string          `json:"address"`
	Description string          `json:"description"`
	DNSName     string          `json:"dns_name"`
}

// ipRef is the IPRef the lenient decoder makes of r (IPRef.UnmarshalJSON).
func (r *ipRefWire) ipRef() (*IPRef, bool) {
	if r == nil {
		return nil, true
	}
	var family flexFamily
	if len(r.Family) > 0 {
		if family.UnmarshalJSON(r.Family) != nil {
			return nil, false
		}
	}
	ip := &IPRef{ID: r.ID, URL: r.URL, Display: r.Display, Family: int(family), Address: r.Address,
		Description: r.Description, DNSName: r.DNSName}
	if ip.Family == 0 {
		ip.Family = familyOf(ip.Address)
	}
	return ip, true
}

type tagWire struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Slug  string `json:"slug"`
	Color string `json:"color"`
}

type choiceWire struct {
	Value json.RawMessage `json:"value"`
	Label string          `json:"label"`
}

type deviceWire struct {
	ID           int64           `json:"id"`
	URL          string          `json:"url"`
	DisplayURL   string          `json:"display_url"`
	Display      string          `json:"display"`
	Name         *string         `json:"name"`
	DeviceType   deviceTypeWire  `json:"device_type"`
	Role         refWire         `json:"role"`
	DeviceRole   *refWire        `json:"device_role"`
	Tenant       *refWire        `json:"tenant"`
	Platform     *refWire        `json:"platform"`
	Serial       string          `json:"serial"`
	AssetTag     *string         `json:"asset_tag"`
	Site         refWire         `json:"site"`
	Location     *refWire        `json:"location"`
	Rack         *refWire        `json:"rack"`
	Position     json.RawMessage `json:"position"`
	Status       *choiceWire     `json:"status"`
	PrimaryIP    *ipRefWire      `json:"primary_ip"`
	PrimaryIP4   *ipRefWire      `json:"primary_ip4"`
	PrimaryIP6   *ipRefWire      `json:"primary_ip6"`
	OOBIP        *ipRefWire      `json:"oob_ip"`
	Cluster      *refWire        `json:"cluster"`
	Description  string          `json:"description"`
	Comments     string          `json:"comments"`
	Tags         []tagWire       `json:"tags"`
	CustomFields map[string]any  `json:"custom_fields"`
	Created      *string         `json:"created"`
	LastUpdated  *string         `json:"last_updated"`
}

// device is the Device the lenient decoder makes of w (Device.UnmarshalJSON);
// false for a value only the lenient decoder can read (or refuse).
func (w *deviceWire) device() (Device, bool) {
	d := Device{ID: w.ID, URL: w.URL, DisplayURL: w.DisplayURL, Display: w.Display, Name: w.Name,
		DeviceType: DeviceType{ID: w.DeviceType.ID, URL: w.DeviceType.URL, Display: w.DeviceType.Display,
			Manufacturer: Ref(w.DeviceType.Manufacturer), Model: w.DeviceType.Model, Slug: w.DeviceType.Slug,
			Description: w.DeviceType.Description},
		Role: w.Role.ref(), Tenant: w.Tenant.ptr(), Platform: w.Platform.ptr(), Serial: w.Serial, AssetTag: w.AssetTag,
		Site: w.Site.ref(), Location: w.Location.ptr(), Rack: w.Rack.ptr(), Cluster: w.Cluster.ptr(),
		Description: w.Description, Comments: w.Comments, CustomFields: w.CustomFields}
	if d.Role.ID == 0 && w.DeviceRole != nil {
		d.Role = w.DeviceRole.ref()
	}
	if len(w.Position) > 0 {
		var n flexNumber
		if n.UnmarshalJSON(w.Position) != nil {
			return Device{}, false
		}
		d.Position = n.ptr()
	}
	if w.Status != nil {
		d.Status = Choice{Value: scalarText(w.Status.Value), Label: w.Status.Label}
	}
	var ok bool
	for _, ip := range []struct {
		from *ipRefWire
		to   **IPRef
	}{{w.PrimaryIP, &d.PrimaryIP}, {w.PrimaryIP4, &d.PrimaryIP4}, {w.PrimaryIP6, &d.PrimaryIP6}, {w.OOBIP, &d.OOBIP}} {
		if *ip.to, ok = ip.from.ipRef(); !ok {
			return Device{}, false
		}
	}
	if w.Tags != nil {
		d.Tags = make([]Tag, len(w.Tags))
		for i, t := range w.Tags {
			d.Tags[i] = Tag(t)
		}
	}
	var err error
	if d.Created, err = wireTime(w.Created); err != nil {
		return Device{}, false
	}
	if d.LastUpdated, err = wireTime(w.LastUpdated); err != nil {
		return Device{}, false
	}
	if d.DisplayURL == "" {
		d.DisplayURL = deriveDisplayURL(d.URL)
	}
	return d, true
}

func wireTime(s *string) (time.Time, error) {
	if s == nil {
		return time.Time{}, nil
	}
	return parseTime(*s)
}
