package wugtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wugsync/wugsync/wug"
)

// maxPagingDevices bounds the devices the paging case creates: enough for two pages of a
// small page size, never the hundreds a real WUG's page would take.
const maxPagingDevices = 12

func (r *Runner) findIDs(ctx context.Context, addr string) ([]string, error) {
	found, err := r.client.FindDevicesByIP(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", addr, err)
	}
	ids := make([]string, 0, len(found))
	for _, d := range found {
		if d.NetworkAddress != addr && d.HostName != addr {
			return nil, fmt.Errorf("search %s returned device %s at %q (host %q)", addr, d.ID, d.NetworkAddress, d.HostName)
		}
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	return ids, nil
}

func checkSearchInSandbox(ctx context.Context, r *Runner) (string, error) {
	exact := r.box.net + "1"
	// Devices someone else keeps at the address are expected in the answer too.
	pre, err := r.findIDs(ctx, exact)
	if err != nil {
		return "", err
	}
	// Addresses that contain the searched one come first, so that with small pages the exact
	// match is on the last page.
	var templates []wug.DeviceTemplate
	for host := 10; host <= 15; host++ {
		templates = append(templates, r.template(fmt.Sprintf("near-%d", host), fmt.Sprintf("%s%d", r.box.net, host)))
	}
	target := r.template("exact", exact)
	templates = append(templates, target)
	res, err := r.apply(ctx, templates...)
	if err != nil {
		return "", err
	}
	for _, t := range templates {
		if tr := res[t.TemplateID]; !tr.OK {
			return "", fmt.Errorf("create %q: %v", t.DisplayName, tr.Errors)
		}
	}
	targetID := res[target.TemplateID].DeviceID
	want := append(slices.Clone(pre), targetID)
	slices.Sort(want)
	got, err := r.findIDs(ctx, exact)
	if err != nil {
		return "", err
	}
	if !slices.Equal(got, want) {
		return "", fmt.Errorf("search %s found %v, want %v (6 other devices' addresses contain it)", exact, got, want)
	}
	nearAddr := r.box.net + "10"
	nearID := res[templates[0].TemplateID].DeviceID
	got, err = r.findIDs(ctx, nearAddr)
	if err != nil {
		return "", err
	}
	if !slices.Contains(got, nearID) || slices.Contains(got, targetID) {
		return "", fmt.Errorf("search %s found %v, want %s and not %s", nearAddr, got, nearID, targetID)
	}
	return fmt.Sprintf("%s: exactly %d device(s) among 7 that contain the address", exact, len(want)), nil
}

func checkPagingInSandbox(ctx context.Context, r *Runner) (string, error) {
	size := r.features(ctx).PageSize
	if size <= 0 {
		return "", skip(fmt.Sprintf("profile %s does not know the server's page size, so the suite cannot fill two pages", r.Profile(ctx).Name))
	}
	n := size + 2
	if n > maxPagingDevices {
		return "", skip(fmt.Sprintf("two pages of %d take %d devices; the suite creates at most %d for paging", size, n, maxPagingDevices))
	}
	// A name unique to the run: templates place devices by name alone.
	area, err := r.group(ctx, r.box.group.ID, r.name("paging"))
	if err != nil {
		return "", err
	}
	var templates []wug.DeviceTemplate
	for i := range n {
		addr, err := r.address()
		if err != nil {
			return "", err
		}
		t := r.template(fmt.Sprintf("page-%d", i), addr)
		t.Groups = []wug.GroupRef{{Name: area.Name}}
		templates = append(templates, t)
	}
	res, err := r.apply(ctx, templates...)
	if err != nil {
		return "", err
	}
	var want []string
	for _, t := range templates {
		tr := res[t.TemplateID]
		if !tr.OK {
			return "", fmt.Errorf("create %q: %v", t.DisplayName, tr.Errors)
		}
		want = append(want, tr.DeviceID)
	}
	slices.Sort(want)
	got, pages, err := r.groupDeviceIDs(ctx, area.ID)
	if err != nil {
		return "", err
	}
	if !slices.Equal(got, want) {
		return "", fmt.Errorf("group %s listed %v over %d pages, want %v", area.ID, got, pages, want)
	}
	if pages != 2 {
		return "", fmt.Errorf("%d devices at %d per page take 2 pages, but the client read %d", n, size, pages)
	}
	return fmt.Sprintf("%d devices over 2 pages of %d", n, size), nil
}

// groupDeviceIDs lists the ids of a group's devices, sorted, and how many pages that took.
func (r *Runner) groupDeviceIDs(ctx context.Context, groupID string) ([]string, int, error) {
	before := r.count(wug.OpListDevices)
	var ids []string
	if err := r.client.ListDevices(ctx, groupID, func(page []wug.DeviceOverview) error {
		for _, d := range page {
			ids = append(ids, d.ID)
		}
		return nil
	}); err != nil {
		return nil, 0, fmt.Errorf("list devices of group %s: %w", groupID, err)
	}
	slices.Sort(ids)
	return ids, r.count(wug.OpListDevices) - before, nil
}

// contractAttributes returns the device's attributes whose names start with prefix, by
// lower-case name.
func (r *Runner) contractAttributes(ctx context.Context, deviceID, prefix string) (map[string][]string, error) {
	attrs, err := r.client.ListAttributes(ctx, deviceID)
	if err != nil {
		return nil, fmt.Errorf("list attributes of device %s: %w", deviceID, err)
	}
	out := map[string][]string{}
	for _, a := range attrs {
		name := strings.ToLower(a.Name)
		if strings.HasPrefix(name, prefix) {
			out[name] = append(out[name], a.Value)
		}
	}
	return out, nil
}

func checkAttributesUpsert(ctx context.Context, r *Runner) (string, error) {
	const prefix = "wugsync-contract-"
	set, gone, keep := prefix+"set", prefix+"gone", prefix+"keep"
	id, _, err := r.device(ctx, "attrs", wug.NameValue{Name: set, Value: "1"}, wug.NameValue{Name: gone, Value: "x"}, wug.NameValue{Name: keep, Value: "k"})
	if err != nil {
		return "", err
	}
	got, err := r.contractAttributes(ctx, id, prefix)
	if err != nil {
		return "", err
	}
	if want := map[string][]string{set: {"1"}, gone: {"x"}, keep: {"k"}}; !maps.EqualFunc(got, want, slices.Equal) {
		return "", fmt.Errorf("the template's attributes read back as %v, want %v", got, want)
	}
	// As the export sends it: every name it sets or drops is deleted, in another case than
	// stored, then the new values are added. Sent twice, as a retried task would.
	batch := wug.AttributeBatch{DeleteNames: []string{strings.ToUpper(set), gone}, Add: []wug.NameValue{{Name: set, Value: "2"}}}
	before := r.count(wug.OpPatchAttributes)
	for i := range 2 {
		if _, err := r.client.PatchAttributes(ctx, id, batch); err != nil {
			return "", fmt.Errorf("patch attributes (round %d): %w", i+1, err)
		}
	}
	if n := r.count(wug.OpPatchAttributes) - before; n != 2 {
		return "", fmt.Errorf("two PatchAttributes calls sent %d requests, want 2", n)
	}
	got, err = r.contractAttributes(ctx, id, prefix)
	if err != nil {
		return "", err
	}
	if want := map[string][]string{set: {"2"}, keep: {"k"}}; !maps.EqualFunc(got, want, slices.Equal) {
		return "", fmt.Errorf("after the upsert, sent twice, the attributes are %v, want %v", got, want)
	}
	return "set replaced without a duplicate, dropped deleted, others untouched, after two identical requests", nil
}

// requireMaintenance checks each device's maintenance state as WUG shows it.
func (r *Runner) requireMaintenance(ctx context.Context, want map[string]bool) error {
	for _, id := range slices.Sorted(maps.Keys(want)) {
		d, err := r.client.GetDevice(ctx, id)
		if err != nil {
			return fmt.Errorf("read device %s: %w", id, err)
		}
		if d.InMaintenance() != want[id] {
			return fmt.Errorf("device %s shows states %s/%s, want maintenance %t", id, d.BestState, d.WorstState, want[id])
		}
	}
	return nil
}

func checkMaintenance(ctx context.Context, r *Runner) (string, error) {
	one, _, err := r.device(ctx, "maint-1")
	if err != nil {
		return "", err
	}
	two, _, err := r.device(ctx, "maint-2")
	if err != nil {
		return "", err
	}
	const reason = "wugsync contract suite"
	steps := []struct {
		what  string
		call  func() (wug.BatchResult, error)
		count int
		want  map[string]bool
	}{
		{"one device on", func() (wug.BatchResult, error) { return r.client.SetMaintenance(ctx, []string{one}, true, reason) },
			1, map[string]bool{one: true, two: false}},
		{"two devices on", func() (wug.BatchResult, error) { return r.client.SetMaintenance(ctx, []string{one, two}, true, reason) },
			2, map[string]bool{one: true, two: true}},
		{"two devices off", func() (wug.BatchResult, error) {
			return r.client.SetMaintenance(ctx, []string{one, two}, false, reason)
		},
			2, map[string]bool{one: false, two: false}},
		{"one device on until an end time", func() (wug.BatchResult, error) {
			return r.client.SetMaintenanceUntil(ctx, []string{two}, reason, time.Now().Add(time.Hour))
		}, 1, map[string]bool{one: false, two: true}},
		{"one device off", func() (wug.BatchResult, error) { return r.client.SetMaintenance(ctx, []string{two}, false, reason) },
			1, map[string]bool{one: false, two: false}},
	}
	for _, s := range steps {
		res, err := s.call()
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.what, err)
		}
		if res.Successful != s.count {
			return "", fmt.Errorf("%s: %d successful operations, want %d", s.what, res.Successful, s.count)
		}
		if err := r.requireMaintenance(ctx, s.want); err != nil {
			return "", fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return "on and off for one device and for two, and until an end time; WUG's states followed", nil
}

func checkDelete(ctx context.Context, r *Runner) (string, error) {
	ids := make([]string, 3)
	addrs := make([]string, 3)
	for i := range ids {
		var err error
		if ids[i], addrs[i], err = r.device(ctx, fmt.Sprintf("delete-%d", i)); err != nil {
			return "", err
		}
	}
	if err := r.client.DeleteDevice(ctx, ids[0]); err != nil {
		return "", fmt.Errorf("delete device %s: %w", ids[0], err)
	}
	res, err := r.client.DeleteDevices(ctx, ids[1:])
	if err != nil {
		return "", fmt.Errorf("delete devices %v: %w", ids[1:], err)
	}
	if res.Successful != 2 {
		return "", fmt.Errorf("deleting 2 devices reported %d successful operations", res.Successful)
	}
	for i, id := range ids {
		found, err := r.findIDs(ctx, addrs[i])
		if err != nil {
			return "", err
		}
		if slices.Contains(found, id) {
			return "", fmt.Errorf("device %s at %s is still found after its deletion", id, addrs[i])
		}
		r.forget(id)
	}
	return "one device deleted alone and two in one batch; searches no longer find them", nil
}

func checkDeleteMissing(ctx context.Context, r *Runner) (string, error) {
	id, _, err := r.device(ctx, "missing")
	if err != nil {
		return "", err
	}
	if err := r.client.DeleteDevice(ctx, id); err != nil {
		return "", fmt.Errorf("delete device %s: %w", id, err)
	}
	r.forget(id)
	if err := r.client.DeleteDevice(ctx, id); !errors.Is(err, wug.ErrNotFound) {
		return "", fmt.Errorf("deleting device %s again gave %v, want ErrNotFound", id, err)
	}
	if _, err := r.client.GetDevice(ctx, id); !errors.Is(err, wug.ErrNotFound) {
		return "", fmt.Errorf("reading deleted device %s gave %v, want ErrNotFound", id, err)
	}
	return "a second delete and a read of the deleted device are ErrNotFound", nil
}
