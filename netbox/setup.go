package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// This file holds what the setup objects (custom fields, custom links,
// webhooks, event rules) share: listing, finding by name, creating and
// patching, and the result of an idempotent "ensure".

// Ensure actions.
const (
	// EnsureCreated means the object did not exist and was created.
	EnsureCreated = "created"
	// EnsureUpdated means an object of that name existed and was changed
	// to match (Changes says how).
	EnsureUpdated = "updated"
	// EnsureFound means an object of that name already matched.
	EnsureFound = "found"
)

// EnsureResult says what an Ensure call did, for the setup route's answer.
type EnsureResult struct {
	// Kind is the object's type, e.g. "extras.customfield".
	Kind string
	// Name and ID identify the object in NetBox.
	Name string
	ID   int64
	// Action is EnsureCreated, EnsureUpdated or EnsureFound.
	Action string
	// Changes lists what an update changed, e.g. "object_types: added
	// virtualization.virtualmachine". Secrets are named, never shown.
	Changes []string
}

// configKind is one setup object endpoint.
type configKind struct {
	objectType string
	path       string
	noun       string
}

var (
	customFieldKind = configKind{objectType: "extras.customfield", path: "api/extras/custom-fields/", noun: "custom field"}
	customLinkKind  = configKind{objectType: "extras.customlink", path: "api/extras/custom-links/", noun: "custom link"}
	webhookKind     = configKind{objectType: "extras.webhook", path: "api/extras/webhooks/", noun: "webhook"}
	eventRuleKind   = configKind{objectType: "extras.eventrule", path: "api/extras/event-rules/", noun: "event rule"}
)

// listConfig reads every object of k matching query.
func listConfig[T any](ctx context.Context, c *Client, k configKind, query url.Values, idOf func(T) int64) ([]T, error) {
	var out []T
	for item, err := range list(ctx, c, k.path, query, idOf) {
		if err != nil {
			return nil, opError("list "+k.noun+"s", err)
		}
		out = append(out, item)
	}
	return out, nil
}

// findConfig returns the object of k with this exact name. NetBox's name
// filter is exact for these models, and names are unique, so there is at
// most one.
func findConfig[T any](ctx context.Context, c *Client, k configKind, name string, idOf func(T) int64, nameOf func(T) string) (T, bool, error) {
	var zero T
	if strings.TrimSpace(name) == "" {
		return zero, false, fmt.Errorf("find %s: empty name: %w", k.noun, ErrConfig)
	}
	found, err := listConfig(ctx, c, k, url.Values{"name": {name}}, idOf)
	if err != nil {
		return zero, false, fmt.Errorf("find %s %q: %w", k.noun, name, err)
	}
	for _, item := range found {
		if nameOf(item) == name {
			return item, true, nil
		}
	}
	return zero, false, nil
}

// createConfig POSTs body to k and decodes the created object. A create is
// not repeated after a failure NetBox may have acted on; an Ensure that
// runs again finds the object by name instead.
func createConfig[T any](ctx context.Context, c *Client, k configKind, body map[string]any) (T, error) {
	var out T
	if _, err := c.write(ctx, call{method: http.MethodPost, path: k.path, body: body, out: &out, objectType: k.objectType}); err != nil {
		return out, fmt.Errorf("create %s %v: %w", k.noun, body["name"], err)
	}
	return out, nil
}

// patchConfig PATCHes fields of object id of k and decodes the result.
func patchConfig[T any](ctx context.Context, c *Client, k configKind, id int64, body map[string]any) (T, error) {
	var out T
	if id <= 0 {
		return out, fmt.Errorf("update %s %d: ids are positive integers: %w", k.noun, id, ErrConfig)
	}
	if _, err := c.write(ctx, call{method: http.MethodPatch, path: k.path + itoa(id) + "/", body: body, out: &out,
		objectType: k.objectType, idempotent: true}); err != nil {
		return out, fmt.Errorf("update %s %d: %w", k.noun, id, err)
	}
	return out, nil
}

// missingFrom returns the elements of want that have is lacks, in want's
// order.
func missingFrom(have, want []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

// union is have followed by the elements of want it lacks.
func union(have, want []string) []string {
	return append(slices.Clone(have), missingFrom(have, want)...)
}

// objectTypesField decodes object_types, or content_types as NetBox before
// 4.0 named it, into one list.
type objectTypesField struct {
	ObjectTypes  []string `json:"object_types"`
	ContentTypes []string `json:"content_types"`
}

func (f objectTypesField) list() []string {
	if f.ObjectTypes != nil {
		return f.ObjectTypes
	}
	return f.ContentTypes
}

// choiceOrString reads a ChoiceField ({"value", "label"}) or a bare string.
type choiceOrString string

func (c *choiceOrString) UnmarshalJSON(b []byte) error {
	var ch Choice
	if err := json.Unmarshal(b, &ch); err != nil {
		return err
	}
	*c = choiceOrString(ch.Value)
	return nil
}

// ensureSteps are one Ensure call's model-specific parts.
type ensureSteps[T any] struct {
	find   func() (T, bool, error)
	create func() (T, error)
	idOf   func(T) int64
	// diff says what the existing object lacks ("" changes mean it
	// matches) and returns the update that fixes it; an error refuses.
	diff func(cur T) (changes []string, update func() (T, error), err error)
}

// ensure finds the object of kind k named name and creates it when it is
// missing, or updates it when diff finds it short, reporting which.
func ensure[T any](k configKind, name string, s ensureSteps[T]) (T, EnsureResult, error) {
	res := EnsureResult{Kind: k.objectType, Name: name}
	cur, found, err := s.find()
	if err != nil {
		return cur, res, err
	}
	if !found {
		created, err := s.create()
		if err != nil {
			return created, res, err
		}
		res.ID, res.Action = s.idOf(created), EnsureCreated
		return created, res, nil
	}
	res.ID = s.idOf(cur)
	changes, update, err := s.diff(cur)
	if err != nil {
		return cur, res, err
	}
	if len(changes) == 0 {
		res.Action = EnsureFound
		return cur, res, nil
	}
	updated, err := update()
	if err != nil {
		return cur, res, err
	}
	res.Action, res.Changes = EnsureUpdated, changes
	return updated, res, nil
}

// fieldDiff is one field Ensure compares.
type fieldDiff struct {
	name string
	diff bool
}

// changedNames lists the names of the fields that differ, in order.
func changedNames(diffs ...fieldDiff) []string {
	var out []string
	for _, d := range diffs {
		if d.diff {
			out = append(out, d.name)
		}
	}
	return out
}
