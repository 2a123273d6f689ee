package wugtest

import (
	"context"
	"fmt"

	"github.com/wugsync/wugsync/wug"
)

// requireCreated checks that a template's result names a device WUG really holds under the
// template's name and address, and returns its id.
func (r *Runner) requireCreated(ctx context.Context, res map[string]wug.TemplateResult, t wug.DeviceTemplate) (string, error) {
	tr, ok := res[t.TemplateID]
	if !ok {
		return "", fmt.Errorf("no result for template %s", t.TemplateID)
	}
	if !tr.OK || tr.DeviceID == "" {
		return "", fmt.Errorf("template %s (%q) failed: %v", t.TemplateID, t.DisplayName, tr.Errors)
	}
	d, err := r.client.GetDevice(ctx, tr.DeviceID)
	if err != nil {
		return "", fmt.Errorf("read device %s of template %s: %w", tr.DeviceID, t.TemplateID, err)
	}
	addr := t.Interfaces[0].NetworkAddress
	if d.Name != t.DisplayName || d.NetworkAddress != addr {
		return "", fmt.Errorf("template %s (%q at %s) got device %s, which is %q at %s: results are mapped to the wrong templates",
			t.TemplateID, t.DisplayName, addr, tr.DeviceID, d.Name, d.NetworkAddress)
	}
	return tr.DeviceID, nil
}

func checkTemplates(ctx context.Context, r *Runner) (string, error) {
	var valid []wug.DeviceTemplate
	for _, label := range []string{"tmpl-c", "tmpl-a", "tmpl-b"} {
		addr, err := r.address()
		if err != nil {
			return "", err
		}
		valid = append(valid, r.template(label, addr))
	}
	invalid := r.template("tmpl-invalid", "not-an-address")
	batch := []wug.DeviceTemplate{valid[0], valid[1], invalid, valid[2]}

	requests := r.count(wug.OpApplyTemplates)
	res, err := r.apply(ctx, batch...)
	if err != nil {
		return "", err
	}
	if n := r.count(wug.OpApplyTemplates) - requests; n != 1 {
		return "", fmt.Errorf("the client sent %d apply-template requests for 4 templates, want 1", n)
	}
	if len(res) != len(batch) {
		return "", fmt.Errorf("got %d results for %d templates", len(res), len(batch))
	}
	ids := map[string]bool{}
	for _, t := range valid {
		id, err := r.requireCreated(ctx, res, t)
		if err != nil {
			return "", err
		}
		if ids[id] {
			return "", fmt.Errorf("device %s is the result of two templates", id)
		}
		ids[id] = true
		if err := r.requireGroups(ctx, id, r.box.group.ID); err != nil {
			return "", fmt.Errorf("template placed by group name: %w", err)
		}
	}
	bad := res[invalid.TemplateID]
	if bad.OK || bad.DeviceID != "" || len(bad.Errors) == 0 {
		return "", fmt.Errorf("template with address %q: got %+v, want a failure with a reason and no device", "not-an-address", bad)
	}
	return fmt.Sprintf("3 devices in one request, each under its own templateId and in the sandbox; the invalid template failed: %s", bad.Errors[0]), nil
}

func checkTemplateRejection(ctx context.Context, r *Runner) (string, error) {
	var addrs []string
	for range 4 {
		a, err := r.address()
		if err != nil {
			return "", err
		}
		addrs = append(addrs, a)
	}
	before := r.template("reject-before", addrs[0])
	refused := r.template("reject-refused", addrs[1])
	// "Only one per device" (DeviceTemplateInterface.defaultInterface); the client passes the
	// flags through, so WUG is the one to refuse.
	refused.Interfaces = append(refused.Interfaces, wug.TemplateInterface{Default: true, NetworkAddress: addrs[2]})
	after := r.template("reject-after", addrs[3])

	res, err := r.apply(ctx, before, refused, after)
	if err != nil {
		return "", err
	}
	for _, t := range []wug.DeviceTemplate{before, after} {
		if _, err := r.requireCreated(ctx, res, t); err != nil {
			return "", err
		}
	}
	tr := res[refused.TemplateID]
	if tr.OK || tr.DeviceID != "" || len(tr.Errors) == 0 {
		return "", fmt.Errorf("template with two default interfaces: got %+v, want a failure with WUG's reason and no device", tr)
	}
	return "the refused template failed on its own (" + tr.Errors[0] + "); its neighbours kept their devices", nil
}

func checkTemplateGroupPath(ctx context.Context, r *Runner) (string, error) {
	// Two groups with one name: WUG picks the oldest for a name alone, so only a path that
	// WUG follows puts the device in the younger one.
	older, err := r.group(ctx, r.box.group.ID, "path-older")
	if err != nil {
		return "", err
	}
	younger, err := r.group(ctx, r.box.group.ID, "path-younger")
	if err != nil {
		return "", err
	}
	leafOld, err := r.group(ctx, older.ID, "leaf")
	if err != nil {
		return "", err
	}
	leafYoung, err := r.group(ctx, younger.ID, "leaf")
	if err != nil {
		return "", err
	}
	addr, err := r.address()
	if err != nil {
		return "", err
	}
	t := r.template("path", addr)
	t.Groups = []wug.GroupRef{{Name: "leaf", Parents: []string{wug.RootGroupName, r.box.group.Name, younger.Name}}}
	res, err := r.apply(ctx, t)
	if err != nil {
		return "", err
	}
	id, err := r.requireCreated(ctx, res, t)
	if err != nil {
		return "", err
	}
	if w := res[t.TemplateID].Errors; len(w) > 0 {
		return "", fmt.Errorf("WUG warned about the group path: %v", w)
	}
	if err := r.requireGroups(ctx, id, leafYoung.ID); err != nil {
		return "", fmt.Errorf("placed by path %s/%s/leaf (the older leaf is %s): %w", r.box.group.Name, younger.Name, leafOld.ID, err)
	}
	return "placed in " + wug.RootGroupName + "/" + r.box.group.Name + "/" + younger.Name + "/leaf, not in the older leaf of the same name", nil
}

func checkTemplateMissingGroup(ctx context.Context, r *Runner) (string, error) {
	addr, err := r.address()
	if err != nil {
		return "", err
	}
	t := r.template("missing-group", addr)
	// The sandbox first, so that a device created despite the unknown group stays inside it.
	t.Groups = append(t.Groups, wug.GroupRef{Name: "no-such-group", Parents: []string{wug.RootGroupName, r.box.group.Name}})
	res, err := r.apply(ctx, t)
	if err != nil {
		return "", err
	}
	tr := res[t.TemplateID]
	if len(tr.Errors) == 0 {
		return "", fmt.Errorf("WUG said nothing about the unknown group (result %+v)", tr)
	}
	var observed GroupMiss
	switch {
	case tr.OK && tr.DeviceID != "":
		observed = GroupMissWarning
		if _, err := r.requireCreated(ctx, res, t); err != nil {
			return "", err
		}
		if err := r.requireGroups(ctx, tr.DeviceID, r.box.group.ID); err != nil {
			return "", err
		}
	case !tr.OK && tr.DeviceID == "":
		observed = GroupMissError
	default:
		return "", fmt.Errorf("inconsistent result %+v: OK and a device id go together", tr)
	}
	want := r.features(ctx).MissingTemplateGroup
	if want != "" && observed != want {
		return "", fmt.Errorf("an unknown template group gave a %s (%v), but profile %s says %s", observed, tr.Errors, r.Profile(ctx).Name, want)
	}
	return fmt.Sprintf("an unknown group is reported as %s: %s", observed, tr.Errors[0]), nil
}
