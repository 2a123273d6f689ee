package netboxsim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The setup models of NetBox's extras app: custom links, journal entries,
// webhooks and event rules, served by configResource.

var buttonClasses = []string{
	"default", "blue", "indigo", "purple", "pink", "red", "orange", "yellow", "green", "teal", "cyan",
	"gray", "black", "white", "ghost-dark",
}

var journalKinds = map[string]string{"info": "Info", "success": "Success", "warning": "Warning", "danger": "Danger"}

var webhookMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

var eventTypes = []string{"object_created", "object_updated", "object_deleted", "job_started", "job_completed", "job_failed", "job_errored"}

var eventActionTypes = map[string]string{"webhook": "Webhook", "script": "Script", "notification": "Notification"}

func stamp(created, updated *time.Time, now time.Time) {
	if created.IsZero() {
		*created = now
	}
	*updated = now
}

// owner adds the 4.5 "owner" field.
func (rc renderCtx) owner(o obj) obj {
	if rc.p.owner {
		return append(o, kv{"owner", nil})
	}
	return o
}

var customLinkModel = configModel[CustomLink]{
	model: "CustomLink", verbose: "custom link", path: "extras/custom-links/",
	table: func(st *store) *table[CustomLink] { return &st.customLinks },
	id:    func(r *CustomLink) int { return r.ID }, setID: func(r *CustomLink, id int) { r.ID = id },
	name:     func(r *CustomLink) string { return r.Name },
	stamp:    func(r *CustomLink, now time.Time) { stamp(&r.Created, &r.LastUpdated, now) },
	clone:    CustomLink.clone,
	newRow:   func(string) CustomLink { return CustomLink{Enabled: true, Weight: 100, ButtonClass: "default"} },
	required: []string{"object_types", "name", "link_text", "link_url"},
	less: func(a, b *CustomLink) bool {
		return lessGrouped(a.GroupName, a.Weight, a.Name, b.GroupName, b.Weight, b.Name)
	},
	apply: applyFields(
		textField("name", 100, false, func(l *CustomLink) *string { return &l.Name }),
		objectTypesField(func(l *CustomLink) *[]string { return &l.ObjectTypes }),
		textField("link_text", 0, false, func(l *CustomLink) *string { return &l.LinkText }),
		textField("link_url", 0, false, func(l *CustomLink) *string { return &l.LinkURL }),
		textField("group_name", 50, true, func(l *CustomLink) *string { return &l.GroupName }),
		plainChoiceField("button_class", buttonClasses, func(l *CustomLink) *string { return &l.ButtonClass }),
		intFieldOf("weight", func(l *CustomLink) *int { return &l.Weight }),
		boolField("enabled", func(l *CustomLink) *bool { return &l.Enabled }),
		boolField("new_window", func(l *CustomLink) *bool { return &l.NewWindow }),
	),
	validate: func(*store, *CustomLink) fieldErrors { return fieldErrors{} },
	render: func(rc renderCtx, l *CustomLink, mode renderMode) obj {
		url := rc.api("extras/custom-links/" + itoa(l.ID) + "/")
		if mode.brief {
			return obj{{"id", l.ID}, {"url", url}, {"display", l.Name}, {"name", l.Name}}
		}
		return obj{
			{"id", l.ID}, {"url", url}, {"display_url", rc.ui("extras/custom-links/" + itoa(l.ID) + "/")},
			{"display", l.Name}, {"object_types", stringsAny(l.ObjectTypes)}, {"name", l.Name}, {"enabled", l.Enabled},
			{"link_text", l.LinkText}, {"link_url", l.LinkURL}, {"weight", l.Weight}, {"group_name", l.GroupName},
			{"button_class", l.ButtonClass}, {"new_window", l.NewWindow},
			{"created", nullTime(l.Created)}, {"last_updated", nullTime(l.LastUpdated)},
		}
	},
	filter: func(p *qparser, st *store) func(*CustomLink) bool {
		objTypes := p.values("object_type")
		enabled := p.boolean("enabled")
		if len(objTypes) == 0 && enabled == nil {
			return nil
		}
		return func(l *CustomLink) bool {
			if enabled != nil && l.Enabled != *enabled {
				return false
			}
			return len(objTypes) == 0 || anyOf(objTypes, func(t string) bool { return slices.Contains(l.ObjectTypes, t) })
		}
	},
}

var journalEntryModel = configModel[JournalEntry]{
	model: "JournalEntry", verbose: "journal entry", path: "extras/journal-entries/",
	table: func(st *store) *table[JournalEntry] { return &st.journal },
	id:    func(r *JournalEntry) int { return r.ID }, setID: func(r *JournalEntry, id int) { r.ID = id },
	stamp:    func(r *JournalEntry, now time.Time) { stamp(&r.Created, &r.LastUpdated, now) },
	clone:    JournalEntry.clone,
	newRow:   func(user string) JournalEntry { return JournalEntry{Kind: "info", CreatedBy: user} },
	required: []string{"assigned_object_type", "assigned_object_id", "comments"},
	// JournalEntry.Meta.ordering is ('-created',).
	less: func(a, b *JournalEntry) bool {
		if !a.Created.Equal(b.Created) {
			return a.Created.After(b.Created)
		}
		return a.ID > b.ID
	},
	apply: applyFields(
		field[JournalEntry]{"assigned_object_type", func(c fieldCtx, j *JournalEntry, v any) {
			if ct, ok := contentType(c.errs, c.name, v); ok {
				j.ObjectType = ct
			}
		}},
		intFieldOf("assigned_object_id", func(j *JournalEntry) *int { return &j.ObjectID }),
		choiceFieldOf("kind", journalKinds, func(j *JournalEntry) *string { return &j.Kind }),
		textField("comments", 0, false, func(j *JournalEntry) *string { return &j.Comments }),
		tagsField(func(j *JournalEntry) *[]string { return &j.Tags }),
	),
	validate: func(st *store, j *JournalEntry) fieldErrors {
		var errs fieldErrors
		exists := renderCtx{st: st}.nestedObject(j.ObjectType, j.ObjectID) != nil
		if !exists {
			errs.add("non_field_errors", fmt.Sprintf("Invalid assigned_object: %s ID %d", contentTypeLabel(j.ObjectType), j.ObjectID))
		}
		return errs
	},
	render: func(rc renderCtx, j *JournalEntry, mode renderMode) obj {
		url := rc.api("extras/journal-entries/" + itoa(j.ID) + "/")
		display := j.Created.UTC().Format("2006-01-02") + " - " + journalKinds[j.Kind]
		if mode.brief {
			return obj{{"id", j.ID}, {"url", url}, {"display", display}, {"created", nullTime(j.Created)}}
		}
		return obj{
			{"id", j.ID}, {"url", url}, {"display_url", rc.ui("extras/journal-entries/" + itoa(j.ID) + "/")},
			{"display", display}, {"assigned_object_type", j.ObjectType}, {"assigned_object_id", j.ObjectID},
			{"assigned_object", rc.nestedObject(j.ObjectType, j.ObjectID)}, {"created", nullTime(j.Created)}, {"created_by", 1},
			{"kind", choice(j.Kind, journalKinds)}, {"comments", j.Comments}, {"tags", rc.tags(j.Tags)},
			{"custom_fields", obj{}}, {"last_updated", nullTime(j.LastUpdated)},
		}
	},
	filter: func(p *qparser, st *store) func(*JournalEntry) bool {
		types := p.values("assigned_object_type")
		ids := p.ints("assigned_object_id")
		kinds := p.choices("kind", journalKinds)
		if len(types)+len(ids)+len(kinds) == 0 {
			return nil
		}
		return func(j *JournalEntry) bool {
			return anyOrEmpty(types, func(t string) bool { return t == j.ObjectType }) &&
				anyOrEmpty(ids, func(id int) bool { return id == j.ObjectID }) &&
				anyOrEmpty(kinds, func(k string) bool { return k == j.Kind })
		}
	},
}

// contentTypeLabel is str(ContentType): "<app verbose name> | <model
// verbose name>".
func contentTypeLabel(ct string) string {
	labels := map[string]string{
		"dcim.device": "DCIM | device", vmType: "Virtualization | virtual machine",
		"dcim.site": "DCIM | site", "ipam.ipaddress": "IPAM | IP address",
	}
	if l, ok := labels[ct]; ok {
		return l
	}
	return ct
}

var webhookModel = configModel[Webhook]{
	model: "Webhook", verbose: "webhook", path: "extras/webhooks/",
	table: func(st *store) *table[Webhook] { return &st.webhooks },
	id:    func(r *Webhook) int { return r.ID }, setID: func(r *Webhook, id int) { r.ID = id },
	name:  func(r *Webhook) string { return r.Name },
	stamp: func(r *Webhook, now time.Time) { stamp(&r.Created, &r.LastUpdated, now) },
	clone: Webhook.clone,
	newRow: func(string) Webhook {
		return Webhook{HTTPMethod: "POST", HTTPContentType: "application/json", SSLVerification: true}
	},
	required: []string{"name", "payload_url"},
	apply: applyFields(
		textField("name", 150, false, func(w *Webhook) *string { return &w.Name }),
		textField("payload_url", 500, false, func(w *Webhook) *string { return &w.PayloadURL }),
		plainChoiceField("http_method", webhookMethods, func(w *Webhook) *string { return &w.HTTPMethod }),
		textField("http_content_type", 100, false, func(w *Webhook) *string { return &w.HTTPContentType }),
		textField("description", 200, true, func(w *Webhook) *string { return &w.Description }),
		textField("additional_headers", 0, true, func(w *Webhook) *string { return &w.AdditionalHeaders }),
		textField("body_template", 0, true, func(w *Webhook) *string { return &w.BodyTemplate }),
		textField("secret", 255, true, func(w *Webhook) *string { return &w.Secret }),
		boolField("ssl_verification", func(w *Webhook) *bool { return &w.SSLVerification }),
		field[Webhook]{"ca_file_path", func(c fieldCtx, w *Webhook, v any) {
			if s, ok := str(c.errs, c.name, v, true); ok {
				w.CAFilePath = s
			}
		}},
	),
	validate: func(st *store, w *Webhook) fieldErrors {
		var errs fieldErrors
		if !w.SSLVerification && w.CAFilePath != nil && *w.CAFilePath != "" {
			errs.add("ca_file_path", "Do not specify a CA certificate file if SSL verification is disabled.")
		}
		return errs
	},
	render: func(rc renderCtx, w *Webhook, mode renderMode) obj {
		url := rc.api("extras/webhooks/" + itoa(w.ID) + "/")
		if mode.brief {
			return obj{{"id", w.ID}, {"url", url}, {"display", w.Name}, {"name", w.Name}, {"description", w.Description}}
		}
		o := obj{
			{"id", w.ID}, {"url", url}, {"display_url", rc.ui("extras/webhooks/" + itoa(w.ID) + "/")},
			{"display", w.Name}, {"name", w.Name}, {"description", w.Description}, {"payload_url", w.PayloadURL},
			{"http_method", w.HTTPMethod}, {"http_content_type", w.HTTPContentType},
			{"additional_headers", w.AdditionalHeaders}, {"body_template", w.BodyTemplate}, {"secret", w.Secret},
			{"ssl_verification", w.SSLVerification}, {"ca_file_path", w.CAFilePath}, {"custom_fields", obj{}},
		}
		o = rc.owner(o)
		return append(o, kv{"tags", []any{}}, kv{"created", nullTime(w.Created)}, kv{"last_updated", nullTime(w.LastUpdated)})
	},
	// Webhook.events is a GenericRelation: deleting a webhook deletes the
	// event rules that send to it.
	removed: func(st *store, w *Webhook) {
		for _, id := range append([]int(nil), st.eventRules.ids...) {
			if r := st.eventRules.rows[id]; r.ActionObjectType == "extras.webhook" && r.ActionObjectID == w.ID {
				st.eventRules.remove(id)
			}
		}
	},
}

var eventRuleModel = configModel[EventRule]{
	model: "EventRule", verbose: "event rule", path: "extras/event-rules/",
	table: func(st *store) *table[EventRule] { return &st.eventRules },
	id:    func(r *EventRule) int { return r.ID }, setID: func(r *EventRule, id int) { r.ID = id },
	name:     func(r *EventRule) string { return r.Name },
	stamp:    func(r *EventRule, now time.Time) { stamp(&r.Created, &r.LastUpdated, now) },
	clone:    EventRule.clone,
	newRow:   func(string) EventRule { return EventRule{Enabled: true, ActionType: "webhook"} },
	required: []string{"object_types", "name", "event_types", "action_object_type"},
	apply: applyFields(
		textField("name", 150, false, func(r *EventRule) *string { return &r.Name }),
		textField("description", 200, true, func(r *EventRule) *string { return &r.Description }),
		objectTypesField(func(r *EventRule) *[]string { return &r.ObjectTypes }),
		field[EventRule]{"event_types", func(c fieldCtx, r *EventRule, v any) {
			if list, ok := eventTypeList(c.errs, c.name, v); ok {
				r.EventTypes = list
			}
		}},
		boolField("enabled", func(r *EventRule) *bool { return &r.Enabled }),
		field[EventRule]{"conditions", func(c fieldCtx, r *EventRule, v any) {
			if msg := conditionSetError(v); msg != "" {
				c.errs.add(c.name, msg)
				return
			}
			r.Conditions = plainJSON(v)
		}},
		choiceFieldOf("action_type", eventActionTypes, func(r *EventRule) *string { return &r.ActionType }),
		field[EventRule]{"action_object_type", func(c fieldCtx, r *EventRule, v any) {
			s, _ := v.(string)
			if !slices.Contains([]string{"extras.webhook", "extras.script", "extras.notificationgroup"}, s) {
				c.errs.add(c.name, fmt.Sprintf("Invalid content type: %v", v))
				return
			}
			r.ActionObjectType = s
		}},
		field[EventRule]{"action_object_id", func(c fieldCtx, r *EventRule, v any) {
			if v == nil {
				r.ActionObjectID = 0
				return
			}
			if n, ok := intField(c.errs, c.name, v); ok {
				r.ActionObjectID = n
			}
		}},
	),
	validate: func(*store, *EventRule) fieldErrors { return fieldErrors{} },
	render: func(rc renderCtx, r *EventRule, mode renderMode) obj {
		url := rc.api("extras/event-rules/" + itoa(r.ID) + "/")
		if mode.brief {
			return obj{{"id", r.ID}, {"url", url}, {"display", r.Name}, {"name", r.Name}, {"description", r.Description}}
		}
		var action any
		if w := rc.st.webhooks.get(r.ActionObjectID); w != nil && r.ActionObjectType == "extras.webhook" {
			action = obj{{"id", w.ID}, {"url", rc.api("extras/webhooks/" + itoa(w.ID) + "/")}, {"display", w.Name},
				{"name", w.Name}, {"description", w.Description}}
		}
		o := obj{
			{"id", r.ID}, {"url", url}, {"display_url", rc.ui("extras/event-rules/" + itoa(r.ID) + "/")},
			{"display", r.Name}, {"object_types", stringsAny(r.ObjectTypes)}, {"name", r.Name}, {"enabled", r.Enabled},
			{"event_types", stringsAny(r.EventTypes)}, {"conditions", r.Conditions},
			{"action_type", choice(r.ActionType, eventActionTypes)}, {"action_object_type", r.ActionObjectType},
			{"action_object_id", nullID(r.ActionObjectID)}, {"action_object", action},
			{"description", r.Description}, {"custom_fields", obj{}},
		}
		o = rc.owner(o)
		return append(o, kv{"tags", []any{}}, kv{"created", nullTime(r.Created)}, kv{"last_updated", nullTime(r.LastUpdated)})
	},
	filter: func(p *qparser, st *store) func(*EventRule) bool {
		objTypes := p.values("object_type")
		evTypes := p.values("event_type")
		actions := p.choices("action_type", eventActionTypes)
		enabled := p.boolean("enabled")
		if len(objTypes)+len(evTypes)+len(actions) == 0 && enabled == nil {
			return nil
		}
		return func(r *EventRule) bool {
			return (enabled == nil || r.Enabled == *enabled) &&
				anyOrEmpty(objTypes, func(t string) bool { return slices.Contains(r.ObjectTypes, t) }) &&
				anyOrEmpty(evTypes, func(t string) bool { return slices.Contains(r.EventTypes, t) }) &&
				anyOrEmpty(actions, func(a string) bool { return a == r.ActionType })
		}
	},
}

// eventTypeList reads the ArrayField of event type choices; a bad item is
// reported under its index, as DRF's ListField does.
func eventTypeList(errs *fieldErrors, field string, v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		errs.add(field, fmt.Sprintf("Expected a list of items but got type %q.", jsonKind(v)))
		return nil, false
	}
	var out []string
	for i, item := range list {
		s, _ := item.(string)
		if !slices.Contains(eventTypes, s) {
			errs.add(field, fmt.Sprintf("Item %d: %q is not a valid choice.", i, fmt.Sprint(item)))
			return nil, false
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		errs.add(field, "This list may not be empty.")
		return nil, false
	}
	return out, true
}

// conditionSetError applies ConditionSet's structural checks.
func conditionSetError(v any) string {
	if v == nil {
		return ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprintf("Ruleset must be a dictionary, not %s.", jsonKind(v))
	}
	if len(m) != 1 {
		return fmt.Sprintf("Ruleset must have exactly one logical operator (found %d)", len(m))
	}
	for logic := range m {
		if l := strings.ToLower(logic); l != "and" && l != "or" {
			return fmt.Sprintf("Invalid logic type: %s (must be 'and' or 'or')", logic)
		}
	}
	return ""
}
