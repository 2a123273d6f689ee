package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// webhookEcho is the outcome of a webhook that only echoes wugsync's own
// write-back.
const webhookEcho = "echo"

// writebackEcho tells the webhook NetBox sends for wugsync's own write-back
// from a real change, from the event's snapshots alone (DESIGN.md §10): an
// update of a device or VM whose only changes are custom fields that
// write-back connections write. It returns the reason to answer with, or ""
// for an event to act on. The database is read only for events that
// changed nothing but custom fields.
func (s *Server) writebackEcho(ctx context.Context, ev netbox.WebhookEvent) (string, error) {
	if ev.Event != netbox.EventUpdated ||
		(ev.ObjectType != netbox.ObjectTypeDevice && ev.ObjectType != netbox.ObjectTypeVirtualMachine) {
		return "", nil
	}
	changed, ok, err := ev.ChangedFields()
	if err != nil || !ok || len(changed) == 0 {
		// A malformed snapshot is not ours to judge here: the event is
		// planned as usual.
		return "", nil //nolint:nilerr
	}
	names := make([]string, 0, len(changed))
	for _, key := range changed {
		name, custom := strings.CutPrefix(key, "custom_fields.")
		if !custom {
			return "", nil
		}
		names = append(names, name)
	}
	var fields []string
	err = s.p.DB.WithContext(ctx).Model(&models.WUGConnection{}).Where("netbox_writeback = ?", true).
		Distinct().Pluck("netbox_custom_field", &fields).Error
	if err != nil {
		return "", fmt.Errorf("read write-back custom fields: %w", err)
	}
	ours := map[string]bool{}
	for _, f := range fields {
		ours[f] = true
	}
	for _, n := range names {
		if !ours[n] {
			return "", nil
		}
	}
	return fmt.Sprintf("echo of wugsync's write-back: only custom field %s changed", strings.Join(names, ", ")), nil
}
