package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// Incremental exports (the warm path). A run of a connection whose last
// export completed asks NetBox only for what changed since then, and plans
// only those objects; the rows of the others keep what they have. What
// changed is (reference §2.2 "Caveat for incremental sync", §3.4):
//
//   - devices (and VMs when exported) whose own row changed:
//     last_updated__gte, ids only;
//   - the holders of IP addresses that changed (an address edit does not
//     touch its device), from ip-addresses?last_updated__gte;
//   - deletions, from the change log (core/object-changes; extras/ in 4.0);
//   - rows still pending or in error, which a full run would retry too;
//   - the other side of an IP conflict a changed object enters or leaves
//     (changeScope explains the rule).
//
// A rename of a site, role, tenant, platform, … (ReferencedKinds) does not
// touch the devices that show it, so when one changed the run is full. So it
// is when no earlier complete export gives a starting time, when the
// connection's settings changed since, when a person asked for a full run
// (ExportRequest.Full), for dry runs and runs with their own filters, when a
// change listing fails (a change log the token may not read, or that the
// NetBox lacks), and when the last full run is older than
// fullReconcileEvery: the change log misses changes made outside a request
// and keeps only CHANGELOG_RETENTION days, and a full run is what
// reconciles them. NetBox webhooks bring changes in between anyway.

// fullReconcileEvery bounds how long incremental exports go on before a
// full one reconciles everything again.
const fullReconcileEvery = 24 * time.Hour

// netboxClockMargin is taken off NetBox's clock at a run's first answer to
// get the time the next run asks for changes from: it covers the Date
// header's one-second resolution, a change saved just before the run but
// committed after the run's first listing, and a small skew between the web
// server that dates answers and the workers that stamp last_updated.
// Objects changed within it are planned again, which costs no WUG call when
// nothing differs.
const netboxClockMargin = 2 * time.Minute

// maxIncrementalObjects is how many objects an incremental run plans at most:
// past it a full listing is cheaper than reading them by id.
const maxIncrementalObjects = 20000

// chooseScope decides how this run reads NetBox and returns its scope:
// incremental when an earlier export allows it, else the whole selection.
// Its change listings run under the planner's clock, so the time the next
// run starts from is NetBox's, taken before any of them.
func (p *planner) chooseScope(ctx context.Context) (planScope, error) {
	log := p.w.connectionLog(p.conn).WithField("run_id", p.run.ID)
	since, why, err := p.w.incrementalSince(ctx, p.run, p.conn)
	if err != nil {
		return planScope{}, err
	}
	if why == "" {
		scope, reason, err := p.changeScope(ctx, since)
		if err != nil {
			return planScope{}, err
		}
		if reason == "" {
			p.mode = models.ModeIncremental
			log.WithFields(logrus.Fields{"since": since.Format(time.RFC3339), "devices": len(scope.changed[models.ObjectDevice]),
				"virtual_machines": len(scope.changed[models.ObjectVirtualMachine])}).Info("incremental export")
			return scope, nil
		}
		why = reason
	}
	p.mode = models.ModeFull
	p.cold = why == whyFirstExport
	log.WithField("reason", why).Info("full export")
	return planScope{}, nil
}

// whyFirstExport is why the first export of a connection is full.
const whyFirstExport = "no earlier complete export to start from"

// incrementalSince returns the NetBox time an incremental run asks for
// changes from, or why this run must be full.
func (w *Worker) incrementalSince(ctx context.Context, run *models.WUGSyncLog, conn models.WUGConnection) (time.Time, string, error) {
	switch {
	case run.Mode == models.ModeFull:
		return time.Time{}, "a full export was asked for", nil
	case run.DryRun:
		return time.Time{}, "a dry run plans the whole selection", nil
	case !run.Filters.Empty():
		return time.Time{}, "the run has its own filters", nil
	}
	base, full, err := w.store.LastSyncBase(ctx, conn.ID)
	if err != nil {
		return time.Time{}, "", err
	}
	switch {
	case base == nil:
		return time.Time{}, whyFirstExport, nil
	case base.ConfigHash != configHash(conn):
		return time.Time{}, "the connection's settings changed since the last export", nil
	case full == nil || w.now().Sub(runStart(*full)) > fullReconcileEvery:
		return time.Time{}, fmt.Sprintf("the last full export is older than %s", fullReconcileEvery), nil
	}
	return *base.NetBoxSince, "", nil
}

// runStart is when a run started (queued, for one that never ran).
func runStart(r models.WUGSyncLog) time.Time {
	if r.StartedAt != nil {
		return *r.StartedAt
	}
	return r.CreatedAt
}

// changeScope lists what changed in NetBox since, and returns the scope of
// the objects to plan, or why the run must be full instead.
//
// The conflict check across NetBox (DESIGN.md §6) stays exact for what
// changed: a changed object is checked against the full primary index, read
// as in a full run with fields= trimmed to id, name, status and addresses
// (and not at all when nothing changed). Its change can also alter the
// decision of an object that did not change, the other holder of an
// address: one that now holds the changed object's new address becomes a
// conflict, one that held its old address may be free again. Both are
// planned too: the holders of the new address from the index, those of the
// old one from the rows of this connection (the address each row was
// exported or skipped with). An object outside the selection is never
// planned, as in a full run. Left to the next full run: an unchanged object
// whose conflict ends because the other holder, which this connection never
// planned (outside its filters), was deleted or left the exported statuses.
func (p *planner) changeScope(ctx context.Context, since time.Time) (planScope, string, error) {
	changed := map[models.ObjectType][]int64{}
	reason, err := p.listChanges(ctx, since, changed)
	if err != nil || reason != "" {
		return planScope{}, reason, err
	}
	unsettled, err := p.w.store.UnsettledObjects(ctx, p.conn.ID)
	if err != nil {
		return planScope{}, "", err
	}
	for t, ids := range unsettled {
		changed[t] = append(changed[t], ids...)
	}
	normalise(changed)
	if count(changed) == 0 {
		return planScope{incremental: true, changed: changed}, "", nil
	}
	if n := count(changed); n > maxIncrementalObjects {
		return planScope{}, fmt.Sprintf("%d objects changed, more than an incremental export reads", n), nil
	}
	p.primaries, err = p.w.primaries(ctx, p.filters.EffectiveStatuses(), p.conn.ExportVirtualMachines, 0)
	if err != nil {
		return planScope{}, "", err
	}
	if err := p.addConflictPartners(ctx, changed); err != nil {
		return planScope{}, "", err
	}
	normalise(changed)
	return planScope{incremental: true, changed: changed}, "", nil
}

// listChanges fills changed with what NetBox's listings show changed since,
// or returns why the run must be full: a referenced kind changed, or a
// listing failed.
func (p *planner) listChanges(ctx context.Context, since time.Time, changed map[models.ObjectType][]int64) (string, error) {
	nb := p.w.p.NetBox
	fallback := func(what string, err error) (string, error) {
		if ctx.Err() != nil {
			return "", err
		}
		p.w.connectionLog(p.conn).WithField("run_id", p.run.ID).WithError(err).Warn("incremental export not possible: " + what)
		return what + " failed: " + err.Error(), nil
	}
	refs, err := nb.ChangedReferences(ctx, netbox.ReferencedKinds, since)
	if err != nil {
		return fallback("listing changed sites, roles and the like", err)
	}
	if len(refs) > 0 {
		names := make([]string, len(refs))
		for i, r := range refs {
			names[i] = strings.TrimSuffix(strings.TrimPrefix(r, "api/"), "/")
		}
		return "NetBox objects that devices show changed: " + strings.Join(names, ", "), nil
	}
	kinds := []struct {
		t       models.ObjectType
		netbox  string
		enabled bool
	}{
		{models.ObjectDevice, netbox.ObjectTypeDevice, true},
		{models.ObjectVirtualMachine, netbox.ObjectTypeVirtualMachine, p.conn.ExportVirtualMachines},
	}
	for _, k := range kinds {
		if !k.enabled {
			continue
		}
		ids, err := nb.ChangedSince(ctx, k.netbox, since, nil)
		if err != nil {
			return fallback("listing changed "+k.t.Noun()+"s", err)
		}
		changed[k.t] = append(changed[k.t], ids...)
		gone, err := nb.DeletedSince(ctx, k.netbox, since)
		if err != nil {
			return fallback("reading the change log for deleted "+k.t.Noun()+"s", err)
		}
		changed[k.t] = append(changed[k.t], gone...)
	}
	devices, vms, err := nb.ChangedAddressHolders(ctx, since)
	if err != nil {
		return fallback("listing changed IP addresses", err)
	}
	changed[models.ObjectDevice] = append(changed[models.ObjectDevice], devices...)
	if p.conn.ExportVirtualMachines {
		changed[models.ObjectVirtualMachine] = append(changed[models.ObjectVirtualMachine], vms...)
	}
	return "", nil
}

// addConflictPartners adds to changed the other holders of the addresses
// the changed objects hold now (the primary index) or held before (their
// rows), so the plan decides their conflicts again (changeScope).
func (p *planner) addConflictPartners(ctx context.Context, changed map[models.ObjectType][]int64) error {
	// Addresses held now: the index entries of the changed objects.
	want := map[export.ObjectRef]bool{}
	for t, ids := range changed {
		for _, id := range ids {
			want[export.ObjectRef{Type: t, ID: id}] = true
		}
	}
	var now []netip.Addr
	p.primaries.each(func(addr netip.Addr, h primaryRef) {
		if want[holderRef(h)] {
			now = append(now, addr)
		}
	})
	var partners []export.ObjectRef
	for _, addr := range now {
		p.primaries.holders(addr, func(h primaryRef) bool {
			if r := holderRef(h); !want[r] {
				partners = append(partners, r)
			}
			return true
		})
	}
	// Addresses held before: the rows of the changed objects.
	var before []string
	for t, ids := range changed {
		for chunk := range slices.Chunk(ids, 500) {
			rows, err := p.w.store.RowsByObject(ctx, p.conn.ID, t, chunk)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if r.IPAddress != "" {
					before = append(before, r.IPAddress)
				}
			}
		}
	}
	held, err := p.w.store.ObjectsAtAddresses(ctx, p.conn.ID, before)
	if err != nil {
		return err
	}
	for t, ids := range held {
		for _, id := range ids {
			partners = append(partners, export.ObjectRef{Type: t, ID: id})
		}
	}
	for _, r := range partners {
		if r.Type == models.ObjectVirtualMachine && !p.conn.ExportVirtualMachines {
			continue
		}
		changed[r.Type] = append(changed[r.Type], r.ID)
	}
	return nil
}

// holderRef names the object an index entry holds.
func holderRef(h primaryRef) export.ObjectRef {
	if h.vm {
		return export.ObjectRef{Type: models.ObjectVirtualMachine, ID: h.id}
	}
	return export.ObjectRef{Type: models.ObjectDevice, ID: h.id}
}

// normalise sorts each type's ids and drops repeats.
func normalise(changed map[models.ObjectType][]int64) {
	for t, ids := range changed {
		slices.Sort(ids)
		changed[t] = slices.Compact(ids)
	}
}

func count(changed map[models.ObjectType][]int64) int {
	n := 0
	for _, ids := range changed {
		n += len(ids)
	}
	return n
}

// recordMode stores how the run read NetBox, before its plan is marked
// complete (the run may close as soon as it is): the mode, the hash of the
// settings it planned with, and the time the next run may ask for changes
// from. That time is NetBox's clock at the run's first answer less
// netboxClockMargin, never this host's clock: the next run compares it
// with last_updated values NetBox stamped. Only a run that read NetBox as
// a whole (full or incremental, unfiltered, not a dry run) can be a base.
func (p *planner) recordMode(ctx context.Context) error {
	if p.mode == "" {
		return nil // not an export run's own plan (an applied one, one device)
	}
	var since *time.Time
	if p.clock != nil && !p.run.DryRun && p.run.Filters.Empty() {
		if t, ok := p.clock.Earliest(); ok {
			t = t.Add(-netboxClockMargin)
			since = &t
		}
	}
	return p.w.store.SetRunMode(ctx, p.run, p.mode, since, configHash(p.conn))
}

// configHash is the hash of the connection's settings that shape what a
// plan decides or writes: another value makes the next run full.
func configHash(c models.WUGConnection) string {
	b, err := json.Marshal(struct {
		Host                          string
		Port                          int
		UseSSL                        bool
		Filters                       models.DeviceFilters
		GroupTemplate                 string
		RoleRules                     []models.RoleRule
		CreateMissingGroups, AutoScan bool
		Decommission                  models.DecommissionAction
		ConsoleURL                    string
		Writeback, Journal, VMs       bool
		CustomField                   string
	}{c.Host, c.Port, c.UseSSL, c.DeviceFilters, c.GroupTemplate, c.RoleRules, c.CreateMissingGroups,
		c.AutoScanExportedIPs, c.DecommissionAction, c.WUGConsoleURL, c.NetBoxWriteback, c.NetBoxJournal,
		c.ExportVirtualMachines, c.NetBoxCustomField})
	if err != nil {
		return "" // never matches a stored hash: the next run is full
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// each calls fn with every address and holder of a primary index.
func (ix *primaryIndex) each(fn func(netip.Addr, primaryRef)) {
	for _, p := range ix.v4 {
		fn(v4Addr(p.addr), p.h)
	}
	for _, p := range ix.v6 {
		fn(netip.AddrFrom16(p.addr), p.h)
	}
}
