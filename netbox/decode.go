package netbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The decoders in this file absorb the drift between NetBox versions (and
// between the REST form and the Django-serializer form of webhook
// snapshots) so that callers see one shape.

var jsonNull = []byte("null")

func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), jsonNull) }

// UnmarshalJSON accepts {"value": ..., "label": ...}, a bare value (as
// snapshots and NetBox 2.x send) or null.
func (c *Choice) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*c = Choice{}
		return nil
	}
	var obj struct {
		Value json.RawMessage `json:"value"`
		Label string          `json:"label"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		if err := json.Unmarshal(b, &obj); err != nil {
			return fmt.Errorf("decode choice: %w", err)
		}
		*c = Choice{Value: scalarText(obj.Value), Label: obj.Label}
		return nil
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		return fmt.Errorf("decode choice: got a list, want {\"value\", \"label\"}")
	}
	*c = Choice{Value: scalarText(b)}
	return nil
}

// scalarText renders a JSON scalar as text: strings unquoted, numbers and
// booleans as written.
func scalarText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// UnmarshalJSON accepts the nested object or a bare primary key, which is
// how webhook snapshots render foreign keys.
func (r *Ref) UnmarshalJSON(b []byte) error {
	if id, ok := bareID(b); ok {
		*r = Ref{ID: id}
		return nil
	}
	type plain Ref
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("decode nested object: %w", err)
	}
	*r = Ref(p)
	return nil
}

// UnmarshalJSON accepts the nested object or a bare primary key.
func (dt *DeviceType) UnmarshalJSON(b []byte) error {
	if id, ok := bareID(b); ok {
		*dt = DeviceType{ID: id}
		return nil
	}
	type plain DeviceType
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("decode device type: %w", err)
	}
	*dt = DeviceType(p)
	return nil
}

// UnmarshalJSON accepts the nested object or a tag name, as snapshots list
// tags.
func (t *Tag) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		// Snapshots list tags by name only.
		*t = Tag{Name: name}
		return nil
	}
	type plain Tag
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("decode tag: %w", err)
	}
	*t = Tag(p)
	return nil
}

// UnmarshalJSON accepts family as {"value": 4, "label": "IPv4"} or 4, and
// a bare primary key for the whole reference.
func (r *IPRef) UnmarshalJSON(b []byte) error {
	if id, ok := bareID(b); ok {
		*r = IPRef{ID: id}
		return nil
	}
	type plain IPRef
	var w struct {
		plain
		Family flexFamily `json:"family"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode nested ip address: %w", err)
	}
	*r = IPRef(w.plain)
	r.Family = int(w.Family)
	if r.Family == 0 {
		r.Family = familyOf(r.Address)
	}
	return nil
}

// UnmarshalJSON decodes a device from any 4.x list, detail or webhook data
// form: "role" or the older "device_role", position as number or string,
// timestamps with or without microseconds, display_url derived when absent.
func (d *Device) UnmarshalJSON(b []byte) error {
	type plain Device
	var w struct {
		plain
		DeviceRole  *Ref       `json:"device_role"`
		Position    flexNumber `json:"position"`
		Created     flexTime   `json:"created"`
		LastUpdated flexTime   `json:"last_updated"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode device: %w", err)
	}
	*d = Device(w.plain)
	if d.Role.ID == 0 && w.DeviceRole != nil {
		d.Role = *w.DeviceRole
	}
	d.Position = w.Position.ptr()
	d.Created, d.LastUpdated = time.Time(w.Created), time.Time(w.LastUpdated)
	if d.DisplayURL == "" {
		d.DisplayURL = deriveDisplayURL(d.URL)
	}
	return nil
}

// UnmarshalJSON decodes an IP address leniently (family as object or number,
// assigned_object_id null, flexible timestamps).
func (ip *IPAddress) UnmarshalJSON(b []byte) error {
	type plain IPAddress
	var w struct {
		plain
		Family           flexFamily `json:"family"`
		AssignedObjectID *int64     `json:"assigned_object_id"`
		Created          flexTime   `json:"created"`
		LastUpdated      flexTime   `json:"last_updated"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode ip address: %w", err)
	}
	*ip = IPAddress(w.plain)
	ip.Family = int(w.Family)
	if ip.Family == 0 {
		ip.Family = familyOf(ip.Address)
	}
	if w.AssignedObjectID != nil {
		ip.AssignedObjectID = *w.AssignedObjectID
	}
	ip.Created, ip.LastUpdated = time.Time(w.Created), time.Time(w.LastUpdated)
	if ip.DisplayURL == "" {
		ip.DisplayURL = deriveDisplayURL(ip.URL)
	}
	return nil
}

// UnmarshalJSON decodes a VM leniently (flexible numbers and timestamps).
func (vm *VirtualMachine) UnmarshalJSON(b []byte) error {
	type plain VirtualMachine
	var w struct {
		plain
		VCPUs       flexNumber `json:"vcpus"`
		Created     flexTime   `json:"created"`
		LastUpdated flexTime   `json:"last_updated"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode virtual machine: %w", err)
	}
	*vm = VirtualMachine(w.plain)
	vm.VCPUs = w.VCPUs.ptr()
	vm.Created, vm.LastUpdated = time.Time(w.Created), time.Time(w.LastUpdated)
	if vm.DisplayURL == "" {
		vm.DisplayURL = deriveDisplayURL(vm.URL)
	}
	return nil
}

// UnmarshalJSON decodes a site leniently (flexible timestamps).
func (s *Site) UnmarshalJSON(b []byte) error {
	type plain Site
	var w struct {
		plain
		Latitude    flexNumber `json:"latitude"`
		Longitude   flexNumber `json:"longitude"`
		Created     flexTime   `json:"created"`
		LastUpdated flexTime   `json:"last_updated"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode site: %w", err)
	}
	*s = Site(w.plain)
	s.Latitude, s.Longitude = w.Latitude.ptr(), w.Longitude.ptr()
	s.Created, s.LastUpdated = time.Time(w.Created), time.Time(w.LastUpdated)
	if s.DisplayURL == "" {
		s.DisplayURL = deriveDisplayURL(s.URL)
	}
	return nil
}

// bareID recognises a foreign key rendered as a plain integer.
func bareID(b []byte) (int64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return 0, false
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	return id, err == nil
}

// flexFamily is an address family given as 4, "4" or {"value": 4}.
type flexFamily int

func (f *flexFamily) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var obj struct {
		Value json.RawMessage `json:"value"`
	}
	raw := json.RawMessage(b)
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		if err := json.Unmarshal(b, &obj); err != nil {
			return fmt.Errorf("decode family: %w", err)
		}
		raw = obj.Value
	}
	n, err := strconv.Atoi(scalarText(raw))
	if err != nil {
		return fmt.Errorf("decode family %s: not 4 or 6", string(b))
	}
	*f = flexFamily(n)
	return nil
}

// flexNumber is a decimal given as a JSON number or, as Django's serializer
// writes decimals, a string.
type flexNumber struct {
	set bool
	v   float64
}

func (n *flexNumber) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	text := scalarText(b)
	if text == "" {
		return nil
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return fmt.Errorf("decode number %s: %w", string(b), err)
	}
	*n = flexNumber{set: true, v: v}
	return nil
}

func (n flexNumber) ptr() *float64 {
	if !n.set {
		return nil
	}
	v := n.v
	return &v
}

// flexTime reads the datetime forms NetBox emits: DRF's RFC 3339 with or
// without microseconds, Python isoformat with "+00:00", the space-separated
// form of old docs, and date-only values.
type flexTime time.Time

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func (t *flexTime) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("decode timestamp %s: not a string", string(b))
	}
	parsed, err := parseTime(s)
	if err != nil {
		return err
	}
	*t = flexTime(parsed)
	return nil
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("decode timestamp %q: not an RFC 3339 date-time", s)
}

// deriveDisplayURL maps an API URL to the web UI URL, as display_url (4.1+)
// would give it: ".../api/dcim/devices/42/" → ".../dcim/devices/42/".
func deriveDisplayURL(apiURL string) string {
	i := strings.Index(apiURL, "/api/")
	if i < 0 {
		return ""
	}
	// Skip a scheme's "//host" so a host named "api" is not mistaken.
	if j := strings.Index(apiURL, "://"); j >= 0 {
		k := strings.IndexByte(apiURL[j+3:], '/')
		if k < 0 {
			return ""
		}
		start := j + 3 + k
		i = strings.Index(apiURL[start:], "/api/")
		if i < 0 {
			return ""
		}
		i += start
	}
	return apiURL[:i] + apiURL[i+len("/api"):]
}

func familyOf(address string) int {
	a, err := parseHostAddr(address)
	switch {
	case err != nil:
		return 0
	case a.Is4():
		return 4
	default:
		return 6
	}
}
