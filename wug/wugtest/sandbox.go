package wugtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/wugsync/wugsync/wug"
)

// SandboxPrefix starts the name of every sandbox group, so that one left behind by a killed
// run is easy to find and delete by hand.
const SandboxPrefix = "wugsync-contract-"

// Devices get addresses from the documentation networks of RFC 5737, which nothing answers:
// TEST-NET-2 or -3 for template devices (a random one per run), TEST-NET-1 for the default
// scan address.
var sandboxNets = []string{"198.51.100.", "203.0.113."}

const (
	scanNet = "192.0.2."
	// firstDeviceHost..lastDeviceHost are the host numbers of template devices; the search
	// case uses .1 and .10 to .15, which no other address of the run contains.
	firstDeviceHost = 200
	lastDeviceHost  = 254
)

// sandbox is the group the sandbox cases work in, and every device they created.
type sandbox struct {
	group   wug.Group
	net     string
	host    int
	seq     int
	devices map[string]string // device id -> address, deleted by CloseSandbox
	groups  map[string]bool   // the sandbox and every group the run created below it
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}

// OpenSandbox creates the sandbox group under My Network with a unique name and checks that
// WUG lists it where it was created. The sandbox cases need it; CloseSandbox removes it.
func (r *Runner) OpenSandbox(ctx context.Context) Result {
	res := Result{Name: "sandbox"}
	if r.box != nil {
		res.Status, res.Detail = StatusFailed, "the sandbox "+r.box.group.Name+" is already open"
		return res
	}
	detail, err := r.openSandbox(ctx)
	if err != nil {
		res.Status, res.Detail = StatusFailed, err.Error()
		res.Fix = fixFor(err)
		if res.Fix == "" {
			res.Fix = "the WUG user must be allowed to create groups under My Network"
		}
		return res
	}
	res.Status, res.Detail = StatusOK, detail
	return res
}

func (r *Runner) openSandbox(ctx context.Context) (string, error) {
	name := SandboxPrefix + randomHex(4)
	g, err := r.client.CreateChildGroup(ctx, wug.RootGroupID, name, "wugsync contract suite; deleted when the run ends")
	if err != nil {
		return "", fmt.Errorf("create sandbox group %q: %w", name, err)
	}
	r.box = &sandbox{group: g, net: sandboxNets[randomInt(len(sandboxNets))], host: firstDeviceHost,
		devices: map[string]string{}, groups: map[string]bool{g.ID: true}}
	if g.Name != name || g.ParentID != wug.RootGroupID {
		return "", fmt.Errorf("created group %s is %q under %q; want %q under %s", g.ID, g.Name, g.ParentID, name, wug.RootGroupID)
	}
	children, err := r.client.ChildGroups(ctx, wug.RootGroupID)
	if err != nil {
		return "", fmt.Errorf("list the children of My Network: %w", err)
	}
	if !slices.ContainsFunc(children, sameGroup(g)) {
		return "", fmt.Errorf("the children of My Network lack the new group %s (%q)", g.ID, name)
	}
	all, err := r.client.ListGroups(ctx)
	if err != nil {
		return "", fmt.Errorf("list groups: %w", err)
	}
	if !slices.ContainsFunc(all, sameGroup(g)) {
		return "", fmt.Errorf("the group listing lacks the new group %s (%q)", g.ID, name)
	}
	return fmt.Sprintf("created %q (id %s) under My Network", name, g.ID), nil
}

// name returns a display or group name unique to this run.
func (r *Runner) name(label string) string { return r.box.group.Name + "-" + label }

// address returns a fresh address for a template device.
func (r *Runner) address() (string, error) {
	if r.box.host > lastDeviceHost {
		return "", errors.New("the run has used every sandbox address")
	}
	a := fmt.Sprintf("%s%d", r.box.net, r.box.host)
	r.box.host++
	return a, nil
}

// template returns a minimal template for a device of this run, placed in the sandbox group
// by name (the sandbox's name is unique). It has no monitors: WUG has nothing to poll.
func (r *Runner) template(label, addr string) wug.DeviceTemplate {
	r.box.seq++
	return wug.DeviceTemplate{
		TemplateID:  fmt.Sprintf("ct-%s-%d", label, r.box.seq),
		DisplayName: r.name(label),
		Note:        "wugsync contract suite; deleted when the run ends",
		Interfaces:  []wug.TemplateInterface{{Default: true, NetworkAddress: addr}},
		Groups:      []wug.GroupRef{{Name: r.box.group.Name}},
	}
}

// apply applies templates and records every device WUG reports created, for CloseSandbox.
func (r *Runner) apply(ctx context.Context, templates ...wug.DeviceTemplate) (map[string]wug.TemplateResult, error) {
	res, err := r.client.ApplyTemplates(ctx, templates)
	for _, t := range templates {
		if tr, ok := res[t.TemplateID]; ok && tr.DeviceID != "" {
			addr := ""
			if len(t.Interfaces) > 0 {
				addr = t.Interfaces[0].NetworkAddress
			}
			r.box.devices[tr.DeviceID] = addr
		}
	}
	if err != nil {
		return res, fmt.Errorf("apply %d templates: %w", len(templates), err)
	}
	return res, nil
}

// device creates one device in the sandbox and returns its id and address.
func (r *Runner) device(ctx context.Context, label string, attrs ...wug.NameValue) (id, addr string, err error) {
	if addr, err = r.address(); err != nil {
		return "", "", err
	}
	t := r.template(label, addr)
	t.Attributes = attrs
	res, err := r.apply(ctx, t)
	if err != nil {
		return "", "", err
	}
	if tr := res[t.TemplateID]; !tr.OK || tr.DeviceID == "" {
		return "", "", fmt.Errorf("create device %q at %s: %v", t.DisplayName, addr, tr.Errors)
	}
	return res[t.TemplateID].DeviceID, addr, nil
}

// group creates a static group called label below parentID.
func (r *Runner) group(ctx context.Context, parentID, label string) (wug.Group, error) {
	g, err := r.client.CreateChildGroup(ctx, parentID, label, "wugsync contract suite")
	if err != nil {
		return wug.Group{}, fmt.Errorf("create group %q under %s: %w", label, parentID, err)
	}
	r.box.groups[g.ID] = true
	return g, nil
}

// sameGroup matches a group by id, name and parent (descriptions may be echoed differently).
func sameGroup(want wug.Group) func(wug.Group) bool {
	return func(g wug.Group) bool { return g.ID == want.ID && g.Name == want.Name && g.ParentID == want.ParentID }
}

// groupIDs returns the ids of a device's groups, sorted.
func (r *Runner) groupIDs(ctx context.Context, deviceID string) ([]string, error) {
	groups, err := r.client.DeviceGroups(ctx, deviceID)
	if err != nil {
		return nil, fmt.Errorf("read the groups of device %s: %w", deviceID, err)
	}
	ids := make([]string, 0, len(groups))
	for _, g := range groups {
		ids = append(ids, g.ID)
	}
	sort.Strings(ids)
	return ids, nil
}

// requireGroups checks that, of the sandbox and the groups the run created, a device belongs
// to exactly want. Groups outside are not compared: a real WUG's dynamic groups may take any
// device in.
func (r *Runner) requireGroups(ctx context.Context, deviceID string, want ...string) error {
	all, err := r.groupIDs(ctx, deviceID)
	if err != nil {
		return err
	}
	var got []string
	for _, id := range all {
		if r.box.groups[id] {
			got = append(got, id)
		}
	}
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("device %s is in groups %v (all groups: %v), want %v", deviceID, got, all, want)
	}
	return nil
}

// forget drops devices the case deleted itself.
func (r *Runner) forget(ids ...string) {
	for _, id := range ids {
		delete(r.box.devices, id)
	}
}

// CloseSandbox deletes every device the run created and every group below the sandbox, then
// the sandbox, and checks that none is left. A device found in the sandbox that the run did
// not record is deleted only when all its groups are inside the sandbox; otherwise it is only
// taken out of the sandbox's groups. Call it whatever happened before, e.g. in a defer or
// t.Cleanup; it does nothing when no sandbox is open.
func (r *Runner) CloseSandbox(ctx context.Context) Result {
	res := Result{Name: "cleanup"}
	if r.box == nil {
		res.Status, res.Detail = StatusNotApplicable, "no sandbox was open"
		return res
	}
	box := r.box
	detail, err := r.closeSandbox(ctx, box)
	if err != nil {
		res.Status, res.Detail = StatusFailed, err.Error()
		res.Fix = fmt.Sprintf("delete the devices of group %q (id %s), its subgroups and the group itself by hand in WUG", box.group.Name, box.group.ID)
		return res
	}
	r.box = nil
	res.Status, res.Detail = StatusOK, detail
	return res
}

func (r *Runner) closeSandbox(ctx context.Context, box *sandbox) (string, error) {
	var problems []string
	deleted := 0
	ids := make([]string, 0, len(box.devices))
	for id := range box.devices {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// How WUG answers the delete of a device that is already gone is unknown (§9.9), so a
	// failed delete counts only if the device is still there afterwards.
	deleteErrs := map[string]error{}
	for _, id := range ids {
		if err := r.client.DeleteDevice(ctx, id); err != nil && !errors.Is(err, wug.ErrNotFound) {
			deleteErrs[id] = err
			continue
		}
		deleted++
	}

	// The subtree of the sandbox, deepest groups first.
	all, err := r.client.ListGroups(ctx)
	if err != nil {
		return "", fmt.Errorf("list groups: %w", err)
	}
	depth := map[string]int{box.group.ID: 0}
	for changed := true; changed; {
		changed = false
		for _, g := range all {
			if d, ok := depth[g.ParentID]; ok {
				if _, seen := depth[g.ID]; !seen {
					depth[g.ID] = d + 1
					changed = true
				}
			}
		}
	}
	subtree := make([]string, 0, len(depth))
	for id := range depth {
		subtree = append(subtree, id)
	}
	sort.Slice(subtree, func(i, j int) bool { return depth[subtree[i]] > depth[subtree[j]] })

	// Devices the run lost track of (a client that mislaid an id): delete those that live
	// only in the sandbox, and take the others out of it.
	var strays []wug.DeviceOverview
	if err := r.client.ListDevices(ctx, box.group.ID, func(page []wug.DeviceOverview) error {
		strays = append(strays, page...)
		return nil
	}); err != nil {
		return "", fmt.Errorf("list the devices left in the sandbox: %w", err)
	}
	for _, d := range strays {
		groups, err := r.groupIDs(ctx, d.ID)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		outside := slices.ContainsFunc(groups, func(g string) bool { _, in := depth[g]; return !in })
		if !outside {
			if err := r.client.DeleteDevice(ctx, d.ID); err != nil && !errors.Is(err, wug.ErrNotFound) {
				problems = append(problems, fmt.Sprintf("delete stray device %s: %v", d.ID, err))
			} else {
				deleted++
			}
			continue
		}
		for _, g := range groups {
			if _, in := depth[g]; in {
				if _, err := r.client.RemoveDevicesFromGroup(ctx, g, []string{d.ID}); err != nil {
					problems = append(problems, fmt.Sprintf("take device %s out of sandbox group %s: %v", d.ID, g, err))
				}
			}
		}
	}
	for _, id := range subtree {
		if err := r.client.DeleteGroup(ctx, id); err != nil && !errors.Is(err, wug.ErrNotFound) {
			problems = append(problems, fmt.Sprintf("delete group %s: %v", id, err))
		}
	}

	// Check, rather than trust the answers above.
	all, err = r.client.ListGroups(ctx)
	if err != nil {
		return "", fmt.Errorf("list groups after cleanup: %w", err)
	}
	for _, g := range all {
		if _, in := depth[g.ID]; in {
			problems = append(problems, fmt.Sprintf("group %s (%q) is still there", g.ID, g.Name))
		}
	}
	for _, id := range ids {
		addr := box.devices[id]
		if addr == "" {
			if err := deleteErrs[id]; err != nil {
				problems = append(problems, fmt.Sprintf("delete device %s: %v", id, err))
			}
			continue
		}
		found, err := r.client.FindDevicesByIP(ctx, addr)
		if err != nil {
			problems = append(problems, fmt.Sprintf("search %s after cleanup: %v", addr, err))
			continue
		}
		if slices.ContainsFunc(found, func(d wug.DeviceOverview) bool { return d.ID == id }) {
			problems = append(problems, fmt.Sprintf("device %s (%s) is still there (delete: %v)", id, addr, deleteErrs[id]))
		}
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	return fmt.Sprintf("deleted %d devices and %d groups, the sandbox %q included", deleted, len(subtree), box.group.Name), nil
}
