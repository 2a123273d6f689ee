package netbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook event names as NetBox puts them in the body's "event" key.
const (
	EventCreated    = "created"
	EventUpdated    = "updated"
	EventDeleted    = "deleted"
	EventJobStarted = "job_started"
	EventJobEnded   = "job_ended"
)

// ErrWebhookPayload is wrapped by every ParseWebhook error, so the receiver
// can answer 400 for a malformed body.
var ErrWebhookPayload = errors.New("invalid netbox webhook payload")

// WebhookSnapshots holds the object before and after the change, in Django's
// serializer form (foreign keys as integers, choices as raw values). Either
// is null: Prechange for a creation, Postchange for a deletion.
type WebhookSnapshots struct {
	Prechange  json.RawMessage `json:"prechange"`
	Postchange json.RawMessage `json:"postchange"`
}

// WebhookEvent is the default body NetBox's event rules POST (reference §5.4),
// normalised across versions: 4.1–4.3 send "model", 4.4 sends both "model"
// and "object_type", 4.5+ only "object_type"; both fields are filled here
// whichever arrived.
type WebhookEvent struct {
	// Event is "created", "updated", "deleted" (or a job or plugin event).
	Event string `json:"event"`
	// Timestamp is when NetBox queued the event; zero when absent.
	Timestamp time.Time `json:"timestamp"`
	// Model is the lowercase model name, e.g. "device".
	Model string `json:"model"`
	// ObjectType is "app_label.model", e.g. "dcim.device". Derived from Model
	// for the common models when an older NetBox sent only "model".
	ObjectType string `json:"object_type"`
	// Username is who made the change (4.6 also nests it in "request").
	Username string `json:"username"`
	// RequestID is shared by every object changed in one request; with
	// Event and the object id it identifies a delivery.
	RequestID string `json:"request_id"`
	// Data is the object in REST form (relative URLs, no config_context);
	// for a deletion, its last state.
	Data      json.RawMessage  `json:"data"`
	Snapshots WebhookSnapshots `json:"snapshots"`
}

// modelObjectTypes maps the models wugsync subscribes to onto their object
// types, for bodies from NetBox before 4.4.
var modelObjectTypes = map[string]string{
	"device":         ObjectTypeDevice,
	"site":           ObjectTypeSite,
	"ipaddress":      ObjectTypeIPAddress,
	"interface":      ObjectTypeInterface,
	"virtualmachine": ObjectTypeVirtualMachine,
	"vminterface":    ObjectTypeVMInterface,
}

// ParseWebhook decodes a webhook body. It is strict about what a receiver
// relies on (a JSON object with a string "event", a "model" or
// "object_type", an object "data", a parseable "timestamp") and tolerant of
// everything else, including keys added by later versions. Errors wrap
// ErrWebhookPayload and name the offending key.
func ParseWebhook(body []byte) (WebhookEvent, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return WebhookEvent{}, fmt.Errorf("%w: body is not a JSON object: %v", ErrWebhookPayload, err)
	}
	var ev WebhookEvent
	var err error
	if ev.Event, err = stringField(raw, "event", true); err != nil {
		return WebhookEvent{}, err
	}
	if ev.Model, err = stringField(raw, "model", false); err != nil {
		return WebhookEvent{}, err
	}
	if ev.ObjectType, err = stringField(raw, "object_type", false); err != nil {
		return WebhookEvent{}, err
	}
	if ev.Model == "" && ev.ObjectType == "" {
		return WebhookEvent{}, fmt.Errorf("%w: neither \"object_type\" nor \"model\" is set", ErrWebhookPayload)
	}
	if ev.ObjectType == "" {
		ev.ObjectType = modelObjectTypes[ev.Model]
	}
	if ev.Model == "" {
		_, ev.Model, _ = strings.Cut(ev.ObjectType, ".")
	}
	if ev.Username, err = stringField(raw, "username", false); err != nil {
		return WebhookEvent{}, err
	}
	if ev.RequestID, err = stringField(raw, "request_id", false); err != nil {
		return WebhookEvent{}, err
	}
	if err := fillFromRequest(raw, &ev); err != nil {
		return WebhookEvent{}, err
	}
	ts, err := stringField(raw, "timestamp", false)
	if err != nil {
		return WebhookEvent{}, err
	}
	if ev.Timestamp, err = parseTime(ts); err != nil {
		return WebhookEvent{}, fmt.Errorf("%w: \"timestamp\": %v", ErrWebhookPayload, err)
	}
	data := raw["data"]
	if !isObject(data) {
		if objectEvent(ev.Event) {
			return WebhookEvent{}, fmt.Errorf("%w: \"data\" must be an object for a %q event", ErrWebhookPayload, ev.Event)
		}
	} else {
		ev.Data = data
	}
	if snaps, ok := raw["snapshots"]; ok && !isNull(snaps) {
		if !isObject(snaps) {
			return WebhookEvent{}, fmt.Errorf("%w: \"snapshots\" must be an object", ErrWebhookPayload)
		}
		if err := json.Unmarshal(snaps, &ev.Snapshots); err != nil {
			return WebhookEvent{}, fmt.Errorf("%w: \"snapshots\": %v", ErrWebhookPayload, err)
		}
		if isNull(ev.Snapshots.Prechange) {
			ev.Snapshots.Prechange = nil
		}
		if isNull(ev.Snapshots.Postchange) {
			ev.Snapshots.Postchange = nil
		}
	}
	return ev, nil
}

// ObjectID returns data.id, the primary key of the changed object.
func (e WebhookEvent) ObjectID() (int64, error) {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	if len(e.Data) == 0 {
		return 0, fmt.Errorf("%w: no \"data\"", ErrWebhookPayload)
	}
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return 0, fmt.Errorf("%w: \"data\": %v", ErrWebhookPayload, err)
	}
	id, ok := bareID(v.ID)
	if !ok || id <= 0 {
		return 0, fmt.Errorf("%w: \"data.id\" is not a positive integer", ErrWebhookPayload)
	}
	return id, nil
}

// Device decodes Data as a device; it fails for events about other types.
func (e WebhookEvent) Device() (Device, error) {
	var d Device
	if err := e.decodeData(ObjectTypeDevice, &d); err != nil {
		return Device{}, err
	}
	return d, nil
}

// IPAddress decodes Data as an IP address; it fails for other types.
func (e WebhookEvent) IPAddress() (IPAddress, error) {
	var ip IPAddress
	if err := e.decodeData(ObjectTypeIPAddress, &ip); err != nil {
		return IPAddress{}, err
	}
	return ip, nil
}

// VirtualMachine decodes Data as a VM; it fails for other types.
func (e WebhookEvent) VirtualMachine() (VirtualMachine, error) {
	var vm VirtualMachine
	if err := e.decodeData(ObjectTypeVirtualMachine, &vm); err != nil {
		return VirtualMachine{}, err
	}
	return vm, nil
}

func (e WebhookEvent) decodeData(objectType string, out any) error {
	if e.ObjectType != objectType {
		return fmt.Errorf("%w: event is about %q, not %q", ErrWebhookPayload, e.ObjectType, objectType)
	}
	if len(e.Data) == 0 {
		return fmt.Errorf("%w: no \"data\"", ErrWebhookPayload)
	}
	if err := json.Unmarshal(e.Data, out); err != nil {
		return fmt.Errorf("%w: \"data\" as %s: %v", ErrWebhookPayload, objectType, err)
	}
	return nil
}

// fillFromRequest reads 4.6's "request": {"id", "user", ...}, which replaces
// the deprecated top-level request_id and username.
func fillFromRequest(raw map[string]json.RawMessage, ev *WebhookEvent) error {
	req, ok := raw["request"]
	if !ok || isNull(req) {
		return nil
	}
	var r map[string]json.RawMessage
	if err := json.Unmarshal(req, &r); err != nil {
		return fmt.Errorf("%w: \"request\" must be an object", ErrWebhookPayload)
	}
	if ev.RequestID == "" {
		ev.RequestID = scalarText(r["id"])
	}
	if ev.Username == "" {
		ev.Username = scalarText(r["user"])
	}
	return nil
}

// stringField reads a string (or null) key, naming the key when its type is
// wrong or a required key is missing.
func stringField(raw map[string]json.RawMessage, key string, required bool) (string, error) {
	v, ok := raw[key]
	if !ok || isNull(v) {
		if required {
			return "", fmt.Errorf("%w: %q is missing", ErrWebhookPayload, key)
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("%w: %q must be a string, got %s", ErrWebhookPayload, key, truncate(string(v), 40))
	}
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", fmt.Errorf("%w: %q is empty", ErrWebhookPayload, key)
	}
	return s, nil
}

func objectEvent(event string) bool {
	return event == EventCreated || event == EventUpdated || event == EventDeleted
}

func isObject(raw json.RawMessage) bool {
	return bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{"))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// ChangedFields compares an "updated" event's prechange and postchange
// snapshots and returns the keys whose values differ, sorted, with custom
// fields named "custom_fields.<name>". last_updated is ignored: NetBox
// leaves it out of the prechange snapshot (CHANGELOG_SKIP_EMPTY_CHANGES).
// ok is false when the event does not carry both snapshots (a creation, a
// deletion, or a NetBox that sends none), so nothing can be concluded.
//
// An event whose only change is "custom_fields.wug_device_id" is the echo of
// wugsync's own write-back.
func (e WebhookEvent) ChangedFields() (changed []string, ok bool, err error) {
	if len(e.Snapshots.Prechange) == 0 || len(e.Snapshots.Postchange) == 0 {
		return nil, false, nil
	}
	var pre, post map[string]any
	if err := json.Unmarshal(e.Snapshots.Prechange, &pre); err != nil {
		return nil, false, fmt.Errorf("%w: \"snapshots.prechange\": %v", ErrWebhookPayload, err)
	}
	if err := json.Unmarshal(e.Snapshots.Postchange, &post); err != nil {
		return nil, false, fmt.Errorf("%w: \"snapshots.postchange\": %v", ErrWebhookPayload, err)
	}
	changed = diffKeys(pre, post, "", map[string]bool{"last_updated": true})
	preCF, _ := pre["custom_fields"].(map[string]any)
	postCF, _ := post["custom_fields"].(map[string]any)
	if !reflect.DeepEqual(pre["custom_fields"], post["custom_fields"]) {
		changed = slices.DeleteFunc(changed, func(k string) bool { return k == "custom_fields" })
		changed = append(changed, diffKeys(preCF, postCF, "custom_fields.", nil)...)
	}
	slices.Sort(changed)
	return changed, true, nil
}

// diffKeys lists the keys of a and b whose values differ, prefixed.
func diffKeys(a, b map[string]any, prefix string, ignore map[string]bool) []string {
	var out []string
	for k, av := range a {
		if bv, ok := b[k]; (!ok || !reflect.DeepEqual(av, bv)) && !ignore[k] {
			out = append(out, prefix+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && !ignore[k] {
			out = append(out, prefix+k)
		}
	}
	return out
}
