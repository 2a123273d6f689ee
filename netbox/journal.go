package netbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

const journalEntriesPath = "api/extras/journal-entries/"

// ObjectTypeJournalEntry is extras.journalentry, for permission names.
const ObjectTypeJournalEntry = "extras.journalentry"

// Journal entry kinds (JournalEntryKindChoices).
const (
	JournalInfo    = "info"
	JournalSuccess = "success"
	JournalWarning = "warning"
	JournalDanger  = "danger"
)

// JournalEntry is a note on an object's journal in NetBox.
type JournalEntry struct {
	// ObjectType is the object's type, e.g. ObjectTypeDevice.
	ObjectType string
	// ObjectID is the object's id.
	ObjectID int64
	// Kind is JournalInfo, JournalSuccess, JournalWarning or JournalDanger.
	Kind string
	// Comments is the entry's text (Markdown).
	Comments string
}

// JournalResult is what AddJournalEntries did.
type JournalResult struct {
	// Created are the new entries' ids.
	Created []int64
	// Skipped are the entries whose object no longer exists: NetBox refused
	// them ("Invalid assigned_object") and the others were sent again
	// without them.
	Skipped []JournalEntry
}

type journalBody struct {
	AssignedObjectType string `json:"assigned_object_type"`
	AssignedObjectID   int64  `json:"assigned_object_id"`
	Kind               string `json:"kind"`
	Comments           string `json:"comments"`
}

// AddJournalEntries adds entries with one POST per 200 entries: NetBox
// creates a list of objects in one request and one transaction. An entry
// whose object was deleted meanwhile is skipped (and reported) rather than
// failing the others. A POST is not repeated after a failure that NetBox
// may have acted on, so an entry is never written twice; the caller decides
// whether to try again. Needs extras.add_journalentry.
func (c *Client) AddJournalEntries(ctx context.Context, entries []JournalEntry) (JournalResult, error) {
	for i, e := range entries {
		if _, err := kindOf(e.ObjectType); err != nil {
			return JournalResult{}, fmt.Errorf("journal entry %d: %w", i, err)
		}
		if e.ObjectID <= 0 {
			return JournalResult{}, fmt.Errorf("journal entry %d: object id %d: %w", i, e.ObjectID, ErrConfig)
		}
		switch e.Kind {
		case JournalInfo, JournalSuccess, JournalWarning, JournalDanger:
		default:
			return JournalResult{}, fmt.Errorf("journal entry %d: kind %q: want info, success, warning or danger: %w", i, e.Kind, ErrConfig)
		}
		if strings.TrimSpace(e.Comments) == "" {
			return JournalResult{}, fmt.Errorf("journal entry %d: empty comments: %w", i, ErrConfig)
		}
	}
	var res JournalResult
	for i := 0; i < len(entries); i += maxBulkUpdate {
		part, err := c.addJournalEntries(ctx, entries[i:min(i+maxBulkUpdate, len(entries))], true)
		res.Created = append(res.Created, part.Created...)
		res.Skipped = append(res.Skipped, part.Skipped...)
		if err != nil {
			return res, fmt.Errorf("add %d journal entries: %w", len(entries), err)
		}
	}
	return res, nil
}

func (c *Client) addJournalEntries(ctx context.Context, entries []JournalEntry, again bool) (JournalResult, error) {
	body := make([]journalBody, len(entries))
	for i, e := range entries {
		body[i] = journalBody{AssignedObjectType: e.ObjectType, AssignedObjectID: e.ObjectID, Kind: e.Kind, Comments: e.Comments}
	}
	var created []struct {
		ID int64 `json:"id"`
	}
	_, err := c.write(ctx, call{method: http.MethodPost, path: journalEntriesPath, body: body, out: &created,
		objectType: ObjectTypeJournalEntry})
	if err == nil {
		res := JournalResult{}
		for _, e := range created {
			res.Created = append(res.Created, e.ID)
		}
		return res, nil
	}
	gone, ok := goneObjects(err, len(entries))
	if !ok || !again {
		return JournalResult{}, err
	}
	var keep []JournalEntry
	var res JournalResult
	for i, e := range entries {
		if gone[i] {
			res.Skipped = append(res.Skipped, e)
		} else {
			keep = append(keep, e)
		}
	}
	if len(keep) == 0 {
		return res, nil
	}
	rest, err := c.addJournalEntries(ctx, keep, false)
	res.Created = rest.Created
	return res, err
}

// goneObjects reports which items of a refused bulk create NetBox refused
// only because their object does not exist. ok is false when any refusal
// has another reason.
func goneObjects(err error, n int) (map[int]bool, bool) {
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) == 0 {
		return nil, false
	}
	gone := map[int]bool{}
	for _, p := range verr.Problems {
		if p.Item < 0 || p.Item >= n || !strings.HasPrefix(p.Message, "Invalid assigned_object") {
			return nil, false
		}
		gone[p.Item] = true
	}
	return gone, true
}
