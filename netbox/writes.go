package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

// writeCall is a call that changes NetBox. A 400 answer becomes a
// *ValidationError or *UnknownCustomFieldError; a 403 for a missing right a
// *PermissionError.
func (c *Client) write(ctx context.Context, cl call) (response, error) {
	resp, err := c.do(ctx, cl)
	if err != nil {
		return resp, c.writeError(err, cl.objectType)
	}
	return resp, nil
}

// unknownFieldRE matches NetBox's refusal of a custom field name it does not
// know on the object type (NetBox up to 4.4.9, CustomFieldsMixin.clean).
var unknownFieldRE = regexp.MustCompile(`Unknown field name '([^']*)' in custom field data`)

// writeError turns a 400 answer to a write into a *ValidationError, or an
// *UnknownCustomFieldError when NetBox names a custom field it does not know.
func (c *Client) writeError(err error, objectType string) error {
	var bad *badStatus
	if !errors.As(err, &bad) || bad.apiErr.StatusCode != http.StatusBadRequest {
		return err
	}
	problems := parseProblems(bad.body)
	for _, p := range problems {
		if m := unknownFieldRE.FindStringSubmatch(p.Message); m != nil {
			return &UnknownCustomFieldError{Server: c.s.server, ObjectType: objectType, Field: m[1]}
		}
	}
	if len(problems) == 0 {
		problems = []Problem{{Item: -1, Field: "detail", Message: bad.apiErr.Detail}}
	}
	return &ValidationError{API: bad.apiErr, Problems: problems}
}

// parseProblems reads DRF's error bodies: {"field": ["msg"]}, a list of such
// objects for bulk requests (empty objects for the valid items), and nested
// list-field errors ({"event_types": {"0": ["msg"]}}).
func parseProblems(body []byte) []Problem {
	var list []json.RawMessage
	if json.Unmarshal(body, &list) == nil {
		var out []Problem
		for i, item := range list {
			out = append(out, objectProblems(item, i)...)
		}
		return out
	}
	return objectProblems(body, -1)
}

func objectProblems(raw json.RawMessage, item int) []Problem {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		if msg := messageText(raw); msg != "" && !isNull(raw) {
			return []Problem{{Item: item, Field: "non_field_errors", Message: msg}}
		}
		return nil
	}
	keys := slices.Sorted(maps.Keys(fields))
	var out []Problem
	for _, k := range keys {
		var nested map[string]json.RawMessage
		if json.Unmarshal(fields[k], &nested) == nil {
			for _, p := range objectProblems(fields[k], item) {
				p.Field = k + "." + p.Field
				out = append(out, p)
			}
			continue
		}
		out = append(out, Problem{Item: item, Field: k, Message: messageText(fields[k])})
	}
	return out
}

// CustomFieldUpdate is one object's new custom field values.
type CustomFieldUpdate struct {
	// ID is the device or virtual machine id.
	ID int64
	// Values maps custom field names to their new values; a nil value
	// clears the field (JSON null). Fields not named keep their values:
	// NetBox merges custom_fields on update.
	Values map[string]any
}

// BulkUpdateResult is what a bulk update did.
type BulkUpdateResult struct {
	// Updated are the ids NetBox saved, in id order.
	Updated []int64
	// Missing are requested ids NetBox did not touch: the object was
	// deleted, or the token's permission constraints keep it from being
	// changed. NetBox skips both silently, so the caller learns it here.
	Missing []int64
}

// maxBulkUpdate bounds one bulk PATCH. NetBox validates, saves, change-logs
// and serializes each object in one transaction (tens of milliseconds
// each), so a few hundred stay well inside the request timeout.
const maxBulkUpdate = 200

// UpdateCustomFields sets custom field values on devices or virtual
// machines (objectType ObjectTypeDevice or ObjectTypeVirtualMachine) with
// NetBox's bulk update: one PATCH of the list endpoint with
// [{"id", "custom_fields"}], in one NetBox transaction (all or nothing), per
// 200 objects. Pass only the objects whose value differs: NetBox saves, logs
// and sends an "updated" webhook for every object listed, changed or not.
//
// A custom field NetBox does not know on objectType gives an
// *UnknownCustomFieldError (ErrUnknownCustomField, ErrConfig), whether
// NetBox refused it (up to 4.4.9) or dropped it silently (4.4.10 on, found
// because the saved object does not list the field). A token without
// <app>.change_<model> gives a *PermissionError. The call is idempotent and
// retried on transient failures.
func (c *Client) UpdateCustomFields(ctx context.Context, objectType string, updates []CustomFieldUpdate) (BulkUpdateResult, error) {
	k, err := kindOf(objectType)
	if err != nil {
		return BulkUpdateResult{}, err
	}
	if err := checkUpdates(updates); err != nil {
		return BulkUpdateResult{}, fmt.Errorf("update %s custom fields: %w", k.noun, err)
	}
	var res BulkUpdateResult
	for i := 0; i < len(updates); i += maxBulkUpdate {
		chunk := updates[i:min(i+maxBulkUpdate, len(updates))]
		part, err := c.updateCustomFields(ctx, k, chunk)
		if err != nil {
			return res, fmt.Errorf("update custom fields of %d %s: %w", len(chunk), k.noun, err)
		}
		res.Updated = append(res.Updated, part.Updated...)
		res.Missing = append(res.Missing, part.Missing...)
	}
	res.Updated, res.Missing = sortedUnique(res.Updated), sortedUnique(res.Missing)
	return res, nil
}

func checkUpdates(updates []CustomFieldUpdate) error {
	seen := make(map[int64]bool, len(updates))
	for _, u := range updates {
		if u.ID <= 0 {
			return fmt.Errorf("object id %d: ids are positive integers: %w", u.ID, ErrConfig)
		}
		if seen[u.ID] {
			return fmt.Errorf("object %d listed twice: %w", u.ID, ErrConfig)
		}
		seen[u.ID] = true
		if len(u.Values) == 0 {
			return fmt.Errorf("object %d: no custom field values: %w", u.ID, ErrConfig)
		}
		for name := range u.Values {
			if name == "" {
				return fmt.Errorf("object %d: empty custom field name: %w", u.ID, ErrConfig)
			}
		}
	}
	return nil
}

type customFieldsPatch struct {
	ID           int64          `json:"id"`
	CustomFields map[string]any `json:"custom_fields"`
}

type customFieldsState struct {
	ID           int64                      `json:"id"`
	CustomFields map[string]json.RawMessage `json:"custom_fields"`
}

func (c *Client) updateCustomFields(ctx context.Context, k objectKind, updates []CustomFieldUpdate) (BulkUpdateResult, error) {
	body := make([]customFieldsPatch, len(updates))
	for i, u := range updates {
		body[i] = customFieldsPatch{ID: u.ID, CustomFields: u.Values}
	}
	var saved []customFieldsState
	// fields= trims NetBox's answer to what is checked here; without it
	// every object comes back whole.
	q := map[string][]string{"fields": {"id,custom_fields"}}
	if _, err := c.write(ctx, call{method: http.MethodPatch, path: k.path, query: q, body: body, out: &saved,
		objectType: k.objectType, idempotent: true}); err != nil {
		return BulkUpdateResult{}, err
	}
	byID := make(map[int64]customFieldsState, len(saved))
	for _, s := range saved {
		byID[s.ID] = s
	}
	var res BulkUpdateResult
	for _, u := range updates {
		s, ok := byID[u.ID]
		if !ok {
			res.Missing = append(res.Missing, u.ID)
			continue
		}
		for name := range u.Values {
			if _, listed := s.CustomFields[name]; !listed {
				// NetBox renders every custom field defined for the type,
				// null when unset; an absent one does not exist, and 4.4.10+
				// dropped the value instead of refusing it.
				return BulkUpdateResult{}, &UnknownCustomFieldError{Server: c.s.server, ObjectType: k.objectType, Field: name, Dropped: true}
			}
		}
		res.Updated = append(res.Updated, u.ID)
	}
	return res, nil
}

// itoa formats an object id, for building paths.
func itoa(id int64) string { return strconv.FormatInt(id, 10) }
