package workers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/wug"
)

// claimStale is how long a create claim protects a device; a claimer that
// died longer ago than this is assumed gone.
const claimStale = 10 * time.Minute

// claim takes the right to create each new device. A device another task is
// creating right now is left for a later attempt (busy); one that another
// task created meanwhile is updated instead of created again.
//
// The claim also marks the claimed rows for the template call that follows
// (models.Store.InsertClaimedCreates, ClaimCreatesMarked), in the statement
// that claims them and returns them: a batch whose devices are all new
// pays one row statement here, and createOnce no other for its first
// round. A row with an earlier attempt's mark keeps it, so
// findEarlierCreates looks for it in WUG first.
func (b *batch) claim(ctx context.Context, creates []*models.PlanEntry) (mine, linkedElsewhere []*models.PlanEntry, busy int, err error) {
	if len(creates) == 0 {
		return nil, nil, 0, nil
	}
	claimer, ok := asynq.GetTaskID(ctx)
	if !ok {
		claimer = fmt.Sprintf("run:%d", b.run.ID)
	}
	// A new object's row is inserted here, claimed and marked, rather than
	// by the planner (models.Store.InsertClaimedCreates); a row that exists
	// (an earlier run's, an earlier attempt's, or one another task has just
	// inserted) is claimed as it is.
	var absent []models.NetBoxIPExport
	for _, e := range creates {
		if b.rows[e.NetBoxObjectID] == nil {
			absent = append(absent, pendingRow(b.run, e))
		}
	}
	now := b.w.now()
	fresh, err := b.w.store.InsertClaimedCreates(ctx, absent, claimer, now)
	if err != nil {
		return nil, nil, 0, err
	}
	var existing []int64
	for _, e := range creates {
		if fresh[e.NetBoxObjectID] == nil {
			existing = append(existing, e.NetBoxObjectID)
		}
	}
	if len(existing) > 0 {
		claimed, err := b.w.store.ClaimCreatesMarked(ctx, b.conn.ID, b.kind(), existing, claimer, now, now.Add(-claimStale))
		if err != nil {
			return nil, nil, 0, err
		}
		maps.Copy(fresh, claimed)
	}
	// What the claim did not return is linked by now or claimed by another
	// task: its row as it is now says which (rare: one more read).
	var others []int64
	for _, id := range existing {
		if fresh[id] == nil {
			others = append(others, id)
		}
	}
	if len(others) > 0 {
		rows, err := b.w.store.RowsByObject(ctx, b.conn.ID, b.kind(), others)
		if err != nil {
			return nil, nil, 0, err
		}
		for id, row := range rows {
			fresh[id] = row
		}
	}
	for _, e := range creates {
		row := fresh[e.NetBoxObjectID]
		switch {
		case row == nil:
			busy++ // gone meanwhile: the retry sees why
		case row.WUGDeviceID != "":
			e.WUGDeviceID = row.WUGDeviceID
			linkedElsewhere = append(linkedElsewhere, e)
			if b.elsewhere == nil {
				b.elsewhere = map[int64]bool{}
			}
			b.elsewhere[e.NetBoxObjectID] = true
		case row.CreateClaim == claimer:
			// The fresh row, so the batch sees (and keeps up to date) the
			// create mark of a row the plan did not make. The mark is this
			// claim's only if the row had none when the batch read it (a
			// clock that stands still in a test must not pass an earlier
			// attempt's mark for this one).
			prior := b.rows[e.NetBoxObjectID]
			b.rows[e.NetBoxObjectID] = row
			if (prior == nil || prior.CreateAttemptedAt == nil) && row.MarkedNow(now) {
				if b.marked == nil {
					b.marked = map[int64]bool{}
				}
				b.marked[e.NetBoxObjectID] = true
			}
			mine = append(mine, e)
		default:
			busy++
		}
	}
	return mine, linkedElsewhere, busy, nil
}

// createRounds bounds the template calls of one attempt: after a 500 (and
// the look-up that follows it, see create) the rest is sent again, so
// failures do not cost the batch a task retry and its backoff. A retry
// would send the same calls, only seconds later: on a WUG failing a
// quarter of its calls, two rounds left one batch in eight waiting out a
// backoff (5 s, longer than a whole 800-device export), four leave one in
// 250. A WUG that fails every call still ends the attempt after four.
const createRounds = 4

// refusedRounds bounds the 429s one attempt sends again: a 429 was refused
// before WUG did anything, so it uses no round, but a WUG that keeps
// refusing ends the attempt (its cool-down then delays the retry).
const refusedRounds = 3

// findEarlierCreates handles devices whose creation an earlier attempt
// tried without storing the answer: the call may have created them before
// the answer was lost, so WUG is searched first. It returns the devices to
// bring in line (StepRelink); our own creates are settled here.
func (b *batch) findEarlierCreates(ctx context.Context, creates []*models.PlanEntry) ([]*models.PlanEntry, error) {
	var lost []*models.PlanEntry
	for _, e := range creates {
		row := b.rows[e.NetBoxObjectID]
		_, ok := b.mapped[e.NetBoxObjectID]
		if !ok || e.Outcome != "" || row == nil || row.CreateAttemptedAt == nil || row.WUGDeviceID != "" || b.marked[e.NetBoxObjectID] {
			continue // b.marked: this attempt's own mark, no call sent yet
		}
		lost = append(lost, e)
	}
	// The calls that left these marks ended before this attempt began.
	return b.lookUpCreates(ctx, lost, b.started, true, false)
}

// lookUpCreates looks in WUG for devices a template call may have created
// without wugsync hearing of it, with the fewest search pages that cover
// the entries' addresses (searchesFor): one search per subnet, or one on a
// prefix that several subnets share, or a listing of each target group,
// never one per device.
//
//   - A device with the display name and address that were sent is our own
//     create: it is linked as it is, with the hash of what was sent, and
//     stored at once (no WUG write; the run counts it as created).
//   - Another device at the address is linked and returned, to be brought
//     in line by the update path (StepRelink).
//   - Nothing at the address: the create is safe, and the mark is cleared
//     (when clearAbsent: the caller knows no earlier call is still at work).
//
// since is when the call that may have created them ended: a search of
// the same text by another batch of this process whose request went out
// after it, or has yet to, serves this look-up too (searchFlights), at no
// call.
//
// sentNow says the call was this attempt's own, with the templates of
// b.mapped: each device it made is then in its target group, and a listing
// of those groups may stand in for the searches (searchesFor).
//
// A search that fails past its in-process retries holds back only the
// entries it stands for (b.waiting): they keep their mark, so the task's retry
// looks again; every other entry is settled before the attempt ends.
func (b *batch) lookUpCreates(ctx context.Context, entries []*models.PlanEntry, since time.Time, clearAbsent, sentNow bool) ([]*models.PlanEntry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	bySearch, err := b.searchesFor(ctx, entries, since, sentNow)
	if err != nil {
		return nil, err
	}
	type other struct {
		e     *models.PlanEntry
		found []wug.DeviceOverview
	}
	var absent []*models.PlanEntry
	var others []other
	taken := map[string]bool{}
	for _, text := range sortedKeys(bySearch) {
		found, err := b.w.searches.search(ctx, b.conn.ID, text, since, time.Now(), func(ctx context.Context) ([]wug.DeviceOverview, error) {
			return retryRead(ctx, func(ctx context.Context) ([]wug.DeviceOverview, error) {
				if group, ok := listedGroup(text); ok {
					var all []wug.DeviceOverview
					err := b.client.ListDevices(ctx, group, func(page []wug.DeviceOverview) error {
						all = append(all, page...)
						return nil
					})
					return all, err
				}
				return b.client.SearchDevices(ctx, text)
			})
		})
		if err != nil {
			where := text + "*"
			if group, ok := listedGroup(text); ok {
				where = "WUG group " + group
			}
			err = fmt.Errorf("look for earlier creates at %s: %w", where, err)
			if !b.later(err) {
				return nil, err
			}
			b.hold(bySearch[text]...)
			continue
		}
		at := export.DevicesAt(found)
		for _, e := range bySearch[text] {
			m := b.mapped[e.NetBoxObjectID]
			id, own := export.EarlierCreate(at[m.Address.Unmap()], m.Template.DisplayName, taken)
			switch {
			case id == "":
				absent = append(absent, e)
			case own:
				taken[id] = true
				b.succeed(e, id, export.StepCreate)
			default:
				others = append(others, other{e: e, found: at[m.Address.Unmap()]})
			}
		}
	}
	// Our own creates are settled before anything else can fail.
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	var relinks []*models.PlanEntry
	if len(others) > 0 {
		// Rare (a rename in NetBox between attempts, a device made by hand
		// meanwhile), so reading every link of the connection is fine here.
		linked, err := b.w.store.LinkedWUGDevices(ctx, b.conn.ID)
		if err != nil {
			return nil, err
		}
		for id := range taken {
			linked[id] = true
		}
		for _, o := range others {
			id, _ := export.EarlierCreate(o.found, "", linked)
			if id == "" {
				absent = append(absent, o.e)
				continue
			}
			linked[id] = true
			b.keepHeld(o.e, id, o.found)
			if _, err := b.w.store.UpdateRow(ctx, o.e.Key(), models.RowLinked{WUGDeviceID: id}); err != nil {
				return nil, err
			}
			if err := b.w.store.LinkEntry(ctx, o.e, id, export.EarlierCreateReason(id)); err != nil {
				return nil, err
			}
			relinks = append(relinks, o.e)
		}
	}
	if clearAbsent {
		if err := b.clearCreateMarks(ctx, absent); err != nil {
			return nil, err
		}
	}
	return relinks, nil
}

// clearCreateMarks records that WUG holds none of these devices, in one
// statement, so a later attempt creates them without looking first.
func (b *batch) clearCreateMarks(ctx context.Context, entries []*models.PlanEntry) error {
	if len(entries) == 0 {
		return nil
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.NetBoxObjectID
	}
	if _, err := b.w.store.UpdateRows(ctx, b.conn.ID, b.kind(), ids, models.RowCreateAttempt{}); err != nil {
		return err
	}
	for _, e := range entries {
		if row := b.rows[e.NetBoxObjectID]; row != nil {
			row.CreateAttemptedAt = nil
		}
	}
	return nil
}

// create makes every new device of the batch with one template call.
//
// A call that fails may still have created devices, so a failure other
// than a 429 is followed by a look-up (the cheapest searches,
// searchesFor), which links what WUG holds with no write. What is left is sent again in the same
// attempt only after a 500 from WUG itself: WUG has finished with the
// request. Without an answer (lost, timed out, a gateway's 502-504) WUG may
// still be creating them, so the rest keeps its mark and the task's retry,
// after its backoff, looks again first. A 429 was refused unhandled: it is
// sent again as it is once the connection's cool-down is over (the limiter
// waits for it). It returns the devices found in WUG that differ from what
// was sent, for the update path.
func (b *batch) create(ctx context.Context, creates []*models.PlanEntry) ([]*models.PlanEntry, error) {
	var relinks []*models.PlanEntry
	refused := 0 // 429s: refused unhandled, they cost no round
	for round := 1; ; round++ {
		todo, templates := b.toCreate(creates)
		if len(todo) == 0 {
			return relinks, nil
		}
		// Only the batch's first call goes alone (see createOnce).
		resend := round > 1 || refused > 0 || retried(ctx)
		answered, err := b.createOnce(ctx, todo, templates, resend)
		switch {
		case err == nil:
			return relinks, nil
		case answered || !temporary(err):
			// After an answer, what failed (storing, a scan) is not the
			// template call's: it is never sent again for that.
			if b.later(err) {
				return relinks, nil
			}
			return relinks, err
		case rateLimited(err):
			if refused < refusedRounds {
				refused++
				round--
				continue // nothing was created; the limiter waits out the cool-down
			}
			b.later(err)
			// Refused unhandled: the retry need not look first.
			return relinks, b.clearCreateMarks(ctx, todo)
		}
		done := handledFailure(err) // WUG is finished with the call
		b.log.WithError(err).Warn("a template call failed; looking for the devices it may have created")
		// Looked up even after the last round, so the attempt settles what
		// the call did create: a retry then resends only the rest.
		found, lerr := b.lookUpCreates(ctx, todo, b.failedAt, done, true)
		relinks = append(relinks, found...)
		if lerr != nil {
			return relinks, lerr
		}
		if !done || round == createRounds {
			if left, _ := b.toCreate(todo); len(left) > 0 {
				b.later(err)
				b.hold(left...) // the retry looks first where the marks stay
			}
			return relinks, nil
		}
	}
}

// toCreate is what is left to create: mapped, not settled, not linked, not
// held back by a failed look-up.
func (b *batch) toCreate(creates []*models.PlanEntry) ([]*models.PlanEntry, []wug.DeviceTemplate) {
	var todo []*models.PlanEntry
	var templates []wug.DeviceTemplate
	for _, e := range creates {
		m, ok := b.mapped[e.NetBoxObjectID]
		if !ok || e.Outcome != "" || e.WUGDeviceID != "" || b.waiting[e.NetBoxObjectID] {
			continue
		}
		todo = append(todo, e)
		templates = append(templates, m.Template)
	}
	return todo, templates
}

// createOnce sends one template call for todo and settles what it
// answered; answered says the call got an answer (a later error is not the
// call's).
//
// A resend (what a failed or refused call left, in a later round or a
// later attempt) joins another batch's template request that is waiting
// for the limiter when one has room (wug.Client.JoinTemplates): on a WUG
// failing a third of its calls, resends one request each were a third of
// the export's template calls. A batch's first call goes alone, so that
// the batch size still bounds what a first request carries and what its
// failure touches.
func (b *batch) createOnce(ctx context.Context, todo []*models.PlanEntry, templates []wug.DeviceTemplate, resend bool) (answered bool, err error) {
	// Mark first, call second: if the process dies after WUG created the
	// devices, the retry sees the mark and searches before creating.
	// The claim marked the rows of the first round (b.marked); a later
	// round marks again what the look-up of the failed call cleared.
	now := b.w.now()
	var unmarked []*models.PlanEntry
	for _, e := range todo {
		if !b.marked[e.NetBoxObjectID] {
			unmarked = append(unmarked, e)
		}
		delete(b.marked, e.NetBoxObjectID) // the mark now stands for this call
	}
	if len(unmarked) > 0 {
		if err := b.w.markCreateAttempted(ctx, b.conn.ID, unmarked, now); err != nil {
			return false, err
		}
		for _, e := range unmarked {
			if row := b.rows[e.NetBoxObjectID]; row != nil {
				row.CreateAttemptedAt = &now
			}
		}
	}
	send := b.client.ApplyTemplates
	if resend {
		send = b.client.JoinTemplates
	}
	results, err := send(ctx, templates)
	b.failedAt = time.Now() // WUG is done with the call, or its answer was lost
	if err != nil {
		// The requests before the failed one answered: their devices exist.
		for _, e := range todo {
			if res := results[b.mapped[e.NetBoxObjectID].Template.TemplateID]; res.DeviceID != "" {
				b.succeed(e, res.DeviceID, export.StepCreate)
			}
		}
		if ferr := b.flush(ctx); ferr != nil {
			return false, ferr
		}
		return false, fmt.Errorf("create %d devices in WUG: %w", len(templates), err)
	}
	var scan []*models.PlanEntry
	for _, e := range todo {
		m := b.mapped[e.NetBoxObjectID]
		res, ok := results[m.Template.TemplateID]
		switch {
		case ok && res.DeviceID != "":
			if len(res.Errors) > 0 {
				b.log.WithFields(logrus.Fields{"device_id": e.NetBoxObjectID, "warnings": res.Errors}).
					Warn("WUG created the device with warnings")
			}
			b.succeed(e, res.DeviceID, export.StepCreate)
		case b.conn.AutoScanExportedIPs:
			scan = append(scan, e)
		default:
			msg := "WUG refused the template"
			if ok && len(res.Errors) > 0 {
				msg += ": " + strings.Join(res.Errors, "; ")
			}
			if err := b.fail(ctx, e, msg, true); err != nil {
				return true, err
			}
		}
	}
	if err := b.flush(ctx); err != nil {
		return true, err
	}
	return true, b.startScans(ctx, scan, results)
}

// retried reports an attempt after the task's first.
func retried(ctx context.Context) bool {
	n, ok := asynq.GetRetryCount(ctx)
	return ok && n > 0
}

// handledFailure reports a 5xx that WUG answered once done with the
// request (a 500), as opposed to a gateway's 502 to 504 or no answer, when
// WUG may still be working on it.
func handledFailure(err error) bool {
	var apiErr *wug.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode < 500 {
		return false
	}
	switch apiErr.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return false
	}
	return true
}

// rateLimited reports a 429: WUG refused the request before handling it.
// A 503 is not one: a proxy may send it after WUG handled the request.
func rateLimited(err error) bool {
	var apiErr *wug.APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests
}

// startScans hands devices whose template failed to a WUG discovery scan,
// one scan per target group.
func (b *batch) startScans(ctx context.Context, entries []*models.PlanEntry, results map[string]wug.TemplateResult) error {
	byGroup := map[string][]*models.PlanEntry{}
	for _, e := range entries {
		byGroup[b.groupOf[e.NetBoxObjectID]] = append(byGroup[b.groupOf[e.NetBoxObjectID]], e)
	}
	for _, group := range sortedKeys(byGroup) {
		list := byGroup[group]
		ips := make([]string, len(list))
		for i, e := range list {
			ips[i] = b.mapped[e.NetBoxObjectID].Address.String()
		}
		if group == "" {
			group = wug.RootGroupID
		}
		scanID, err := b.client.StartNewDeviceScan(ctx, group, ips, wug.ScanOptions{})
		if err != nil {
			return fmt.Errorf("start WUG discovery scan for %d devices: %w", len(ips), err)
		}
		now := b.w.now()
		for _, e := range list {
			m := b.mapped[e.NetBoxObjectID]
			why := "template failed"
			if r, ok := results[m.Template.TemplateID]; ok && len(r.Errors) > 0 {
				why += ": " + strings.Join(r.Errors, "; ")
			}
			_, err := b.w.store.UpdateRow(ctx, e.Key(), models.RowScanStarted{ScanID: scanID, Why: why,
				Name: m.Template.DisplayName, IP: m.Address.String(), At: now, RunID: b.run.ID})
			if err != nil {
				return err
			}
			if err := b.w.store.SetOutcome(ctx, e, models.OutcomeScan, ""); err != nil {
				return err
			}
		}
		b.w.p.Metrics.Devices(b.conn.Name, "scan_triggered", len(list))
		if err := b.w.p.Enqueuer.Enqueue(ctx, tasks.ScanStatusPayload{ConnectionID: b.conn.ID, ScanID: scanID,
			Delay: b.w.p.ScanPollBase}); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			return err
		}
	}
	return nil
}

// searchesFor groups entries by the search text that finds them, choosing
// the texts with the fewest pages in all (export.CoverSearches), where a
// page is export.SearchPageSize devices WUG holds, or may hold, under a
// text (models.Store.CreatedMatching), and a text another look-up's search
// serves costs none (searchFlights).
//
// When sentNow, a listing of the entries' target groups (a key made by
// groupListing) competes: each device the call made is in its group, and a
// batch's devices often share few groups but several subnets (a device
// whose address is another site's, IPv6 beside IPv4), so one page per
// group can beat one per text. It is taken only when it costs fewer pages
// than the texts. A group's pages are estimated from the devices linked in
// it (models.Store.LinkedInGroups) plus the batch's own entries there.
func (b *batch) searchesFor(ctx context.Context, entries []*models.PlanEntry, since time.Time, sentNow bool) (map[string][]*models.PlanEntry, error) {
	bySubnet := map[string][]*models.PlanEntry{}
	for _, e := range entries {
		text := export.AddressSearchText(b.mapped[e.NetBoxObjectID].Address)
		bySubnet[text] = append(bySubnet[text], e)
	}
	if len(bySubnet) == 1 {
		return bySubnet, nil
	}
	subnets := sortedKeys(bySubnet)
	var texts []string
	seen := map[string]bool{}
	for _, s := range subnets {
		for _, c := range export.SearchCandidates(s) {
			if !seen[c] {
				seen[c] = true
				texts = append(texts, c)
			}
		}
	}
	// The entries' own rows are among those counted: their marks are set.
	held, err := b.w.store.CreatedMatching(ctx, b.conn.ID, texts)
	if err != nil {
		return nil, err
	}
	pagesOf := func(n int) int { return max(1, (n+export.SearchPageSize-1)/export.SearchPageSize) }
	pages := func(text string) int {
		if b.w.searches.known(b.conn.ID, text, since) {
			return 0 // another batch's search answers it
		}
		return pagesOf(held[text])
	}
	out := map[string][]*models.PlanEntry{}
	textPages := 0
	for text, covered := range export.CoverSearches(subnets, pages) {
		textPages += pages(text)
		for _, s := range covered {
			out[text] = append(out[text], bySubnet[s]...)
		}
	}
	if !sentNow {
		return out, nil
	}
	byGroup := map[string][]*models.PlanEntry{}
	for _, e := range entries {
		g := b.groupOf[e.NetBoxObjectID]
		if g == "" {
			return out, nil // placed by WUG's defaults: only a search finds it
		}
		byGroup[g] = append(byGroup[g], e)
	}
	if len(byGroup) >= textPages {
		return out, nil
	}
	linked, err := b.w.store.LinkedInGroups(ctx, b.conn.ID, sortedKeys(byGroup))
	if err != nil {
		return nil, err
	}
	groupPages := 0
	listings := make(map[string][]*models.PlanEntry, len(byGroup))
	for g, list := range byGroup {
		key := groupListing(g)
		listings[key] = list
		if !b.w.searches.known(b.conn.ID, key, since) {
			groupPages += pagesOf(linked[g] + len(list))
		}
	}
	if groupPages < textPages {
		return listings, nil
	}
	return out, nil
}

// groupListing is the look-up key that stands for listing the devices of a
// WUG group (an address search text never starts with it).
func groupListing(groupID string) string { return "group:" + groupID }

// listedGroup returns the group a key made by groupListing lists.
func listedGroup(key string) (string, bool) { return strings.CutPrefix(key, "group:") }
