package netboxsim

import (
	"strings"
	"time"
)

// Object change actions, as the change log names them.
const (
	actionCreate = "create"
	actionUpdate = "update"
	actionDelete = "delete"
)

// objectChange is one change log row (core.objectchange).
type objectChange struct {
	id         int
	time       time.Time
	username   string
	requestID  string
	action     string
	objectType string
	objectID   int
	repr       string
	pre, post  any
}

// event is one object's pending event-rule event inside a request;
// NetBox keys its queue by object so repeated saves collapse into one.
type event struct {
	objectType string
	objectID   int
	action     string
	data       obj
	pre, post  any
}

// tx collects the changes one request (or one Go API call) makes, so that
// the change log rows and webhooks are produced when it commits, the way
// NetBox's event_tracking context manager flushes at the end of a request.
type tx struct {
	s         *Server
	username  string
	requestID string
	events    []*event
	byKey     map[string]*event
	// undo restores rows a rollback discards, newest last.
	undo []func()
}

// savepoint marks where a rollback returns to.
type savepoint struct{ undo, changes int }

func (t *tx) savepoint() savepoint {
	return savepoint{undo: len(t.undo), changes: len(t.s.st.changes)}
}

// onRollback registers how to restore a row this transaction changed.
func (t *tx) onRollback(fn func()) { t.undo = append(t.undo, fn) }

// rollbackTo undoes the row changes and change-log rows made since sp, as
// the database transaction of a failed bulk request does. The events
// already queued stay queued: NetBox's REST API does not clear its
// in-memory event queue when a bulk update fails (only the UI's bulk views
// send clear_events), so the objects saved before the failing one still
// get their webhooks, describing changes that were rolled back.
func (t *tx) rollbackTo(sp savepoint) {
	for i := len(t.undo) - 1; i >= sp.undo; i-- {
		t.undo[i]()
	}
	t.undo = t.undo[:sp.undo]
	t.s.st.changes = t.s.st.changes[:sp.changes]
	t.s.st.invalidate()
}

func (s *Server) begin(username, requestID string) *tx {
	return &tx{s: s, username: username, requestID: requestID, byKey: map[string]*event{}}
}

// record notes a change: pre is the snapshot before (nil on create), post
// after (nil on delete), data the REST rendering of the latest state.
func (t *tx) record(objectType string, id int, action string, repr string, pre, post any, data obj) {
	now := t.s.now()
	st := t.s.st
	st.changes = append(st.changes, objectChange{
		id: len(st.changes) + 1, time: now, username: t.username, requestID: t.requestID,
		action: action, objectType: objectType, objectID: id, repr: repr, pre: pre, post: post,
	})
	key := objectType + ":" + itoa(id)
	if ev, ok := t.byKey[key]; ok {
		// Collapse as enqueue_event does: data and postchange refresh; a
		// later delete turns the event into a deletion; a creation stays one.
		ev.data, ev.post = data, post
		if action == actionDelete {
			ev.action = actionDelete
		}
		return
	}
	ev := &event{objectType: objectType, objectID: id, action: action, data: data, pre: pre, post: post}
	t.byKey[key] = ev
	t.events = append(t.events, ev)
}

// commit turns the collected events into webhook deliveries. The caller
// holds the write lock; delivery happens after the caller unlocks, through
// the returned function.
func (t *tx) commit() func() {
	t.s.st.invalidate()
	var bodies []pendingDelivery
	if len(t.events) > 0 {
		targets := t.s.hookTargets()
		for _, ev := range t.events {
			for _, tg := range targets {
				if tg.wants(ev) {
					d := t.s.webhookBody(ev, t.username, t.requestID)
					d.target = tg
					bodies = append(bodies, d)
				}
			}
		}
	}
	return func() { t.s.hooks.enqueue(bodies) }
}

// webhookBody renders the default event-rule body of reference §5.4 for
// this version, in Python's json.dumps formatting.
func (s *Server) webhookBody(ev *event, username, requestID string) pendingDelivery {
	o := obj{
		{"event", publicEventName(ev.action)},
		{"timestamp", pythonISOTime(s.now())},
	}
	_, model, _ := strings.Cut(ev.objectType, ".")
	if s.profile.webhookObjectType {
		o = append(o, kv{"object_type", ev.objectType})
	}
	if s.profile.webhookModel {
		o = append(o, kv{"model", model})
	}
	o = append(o,
		kv{"username", username},
		kv{"request_id", requestID},
		kv{"data", ev.data},
		kv{"snapshots", obj{{"prechange", ev.pre}, {"postchange", ev.post}}},
	)
	return pendingDelivery{
		event: publicEventName(ev.action), objectType: ev.objectType, objectID: ev.objectID,
		requestID: requestID, body: encodePython(o),
	}
}

// publicEventName maps object_created… to the body's "event" value.
func publicEventName(action string) string {
	switch action {
	case actionCreate:
		return "created"
	case actionDelete:
		return "deleted"
	default:
		return "updated"
	}
}

// --- Django-serializer snapshots ----------------------------------------

// contentTypeIDs are the django_content_type ids snapshots use for generic
// foreign keys; the values are plausible, not NetBox's.
var contentTypeIDs = map[string]int{"dcim.interface": 18, "virtualization.vminterface": 96}

func snapTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return djangoTime(t)
}

func nullID(id int) any {
	if id == 0 {
		return nil
	}
	return id
}

func snapDecimal(f *float64) any {
	if f == nil {
		return nil
	}
	return pyFloat(*f)
}

// deviceSnapshot is serialize_object(device): foreign keys as ids, choices
// raw, decimals as strings, tags as sorted names, no id. The prechange
// snapshot lacks last_updated (CHANGELOG_SKIP_EMPTY_CHANGES).
func (st *store) deviceSnapshot(d *Device, pre bool) any {
	o := obj{{"created", snapTime(d.Created)}}
	if !pre {
		o = append(o, kv{"last_updated", snapTime(d.LastUpdated)})
	}
	return append(o,
		kv{"custom_fields", st.cfValues("dcim.device", d.CustomFields)},
		kv{"description", d.Description},
		kv{"comments", d.Comments},
		kv{"local_context_data", nil},
		kv{"config_template", nil},
		kv{"device_type", d.DeviceTypeID},
		kv{"role", d.RoleID},
		kv{"tenant", nullID(d.TenantID)},
		kv{"platform", nullID(d.PlatformID)},
		kv{"name", d.Name},
		kv{"serial", d.Serial},
		kv{"asset_tag", d.AssetTag},
		kv{"site", d.SiteID},
		kv{"location", nullID(d.LocationID)},
		kv{"rack", nullID(d.RackID)},
		kv{"position", snapDecimal(d.Position)},
		kv{"face", d.Face},
		kv{"status", d.Status},
		kv{"airflow", d.Airflow},
		kv{"primary_ip4", nullID(d.PrimaryIP4ID)},
		kv{"primary_ip6", nullID(d.PrimaryIP6ID)},
		kv{"oob_ip", nullID(d.OOBIPID)},
		kv{"cluster", nullID(d.ClusterID)},
		kv{"virtual_chassis", nil},
		kv{"vc_position", nil},
		kv{"vc_priority", nil},
		kv{"latitude", nil},
		kv{"longitude", nil},
		kv{"console_port_count", 1},
		kv{"console_server_port_count", 0},
		kv{"power_port_count", 2},
		kv{"power_outlet_count", 0},
		kv{"interface_count", len(st.indexes().deviceInterfaces[d.ID])},
		kv{"front_port_count", 0},
		kv{"rear_port_count", 0},
		kv{"device_bay_count", 0},
		kv{"module_bay_count", 0},
		kv{"inventory_item_count", 0},
		kv{"tags", stringsAny(st.sortedTagNames(d.Tags))},
	)
}

func (st *store) ipSnapshot(ip *IPAddress, pre bool) any {
	o := obj{{"created", snapTime(ip.Created)}}
	if !pre {
		o = append(o, kv{"last_updated", snapTime(ip.LastUpdated)})
	}
	var aoType, aoID any
	if iface := st.interfaces.get(ip.InterfaceID); iface != nil {
		aoType, aoID = contentTypeIDs["dcim.interface"], iface.ID
		if iface.VirtualMachineID != 0 {
			aoType = contentTypeIDs["virtualization.vminterface"]
		}
	}
	return append(o,
		kv{"custom_fields", obj{}},
		kv{"description", ip.Description},
		kv{"comments", ""},
		kv{"address", ip.Address},
		kv{"vrf", nullID(ip.VRFID)},
		kv{"tenant", nullID(ip.TenantID)},
		kv{"status", ip.Status},
		kv{"role", ip.Role},
		kv{"assigned_object_type", aoType},
		kv{"assigned_object_id", aoID},
		kv{"nat_inside", nil},
		kv{"dns_name", ip.DNSName},
		kv{"tags", stringsAny(st.sortedTagNames(ip.Tags))},
	)
}

func (st *store) siteSnapshot(s *Site, pre bool) any {
	o := obj{{"created", snapTime(s.Created)}}
	if !pre {
		o = append(o, kv{"last_updated", snapTime(s.LastUpdated)})
	}
	return append(o,
		kv{"custom_fields", obj{}},
		kv{"description", s.Description},
		kv{"comments", ""},
		kv{"name", s.Name},
		kv{"slug", s.Slug},
		kv{"status", s.Status},
		kv{"region", nullID(s.RegionID)},
		kv{"group", nil},
		kv{"tenant", nullID(s.TenantID)},
		kv{"facility", s.Facility},
		kv{"time_zone", nullIfEmpty(s.TimeZone)},
		kv{"physical_address", s.PhysicalAddress},
		kv{"shipping_address", ""},
		kv{"latitude", snapDecimal(s.Latitude)},
		kv{"longitude", snapDecimal(s.Longitude)},
		kv{"tags", []any{}},
	)
}

func stringsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// eventCtx renders webhook data: relative URLs, the plain serializer
// without config_context.
func (s *Server) eventCtx() renderCtx {
	return renderCtx{st: s.st, p: s.profile, base: "", idx: s.st.indexes()}
}
