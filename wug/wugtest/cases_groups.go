package wugtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/wugsync/wugsync/wug"
)

func checkGroups(ctx context.Context, r *Runner) (string, error) {
	area, err := r.group(ctx, r.box.group.ID, "groups")
	if err != nil {
		return "", err
	}
	if area.Name != "groups" || area.ParentID != r.box.group.ID || area.ID == "" {
		return "", fmt.Errorf("CreateChildGroup returned %+v, want %q under %s with an id", area, "groups", r.box.group.ID)
	}
	var made []wug.Group
	for _, name := range []string{"alpha", "beta"} {
		g, err := r.group(ctx, area.ID, name)
		if err != nil {
			return "", err
		}
		if g.Name != name || g.ParentID != area.ID {
			return "", fmt.Errorf("CreateChildGroup returned %+v, want %q under %s", g, name, area.ID)
		}
		made = append(made, g)
	}
	children, err := r.client.ChildGroups(ctx, area.ID)
	if err != nil {
		return "", fmt.Errorf("list children of %s: %w", area.ID, err)
	}
	if !sameGroups(children, made) {
		return "", fmt.Errorf("children of %s are %+v, want %+v", area.ID, children, made)
	}
	all, err := r.client.ListGroups(ctx)
	if err != nil {
		return "", fmt.Errorf("list groups: %w", err)
	}
	for _, g := range append([]wug.Group{area}, made...) {
		if !slices.ContainsFunc(all, func(l wug.Group) bool { return l.ID == g.ID && l.Name == g.Name && l.ParentID == g.ParentID }) {
			return "", fmt.Errorf("the group listing (%d groups) lacks %+v", len(all), g)
		}
	}
	return fmt.Sprintf("3 groups created; ChildGroups and ListGroups (%d groups) agree", len(all)), nil
}

// sameGroups compares groups by id, name and parent, in any order.
func sameGroups(got, want []wug.Group) bool {
	key := func(gs []wug.Group) []string {
		out := make([]string, 0, len(gs))
		for _, g := range gs {
			out = append(out, g.ID+"|"+g.Name+"|"+g.ParentID)
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(key(got), key(want))
}

func checkGroupUniqueNames(ctx context.Context, r *Runner) (string, error) {
	area, err := r.group(ctx, r.box.group.ID, "unique")
	if err != nil {
		return "", err
	}
	first, err := r.group(ctx, area.ID, "twin")
	if err != nil {
		return "", err
	}
	_, refusal := r.client.CreateChildGroup(ctx, area.ID, "twin", "")
	if refusal == nil {
		return "", errors.New("WUG created a second group \"twin\" under one parent")
	}
	if !errors.Is(refusal, wug.ErrRejected) {
		return "", fmt.Errorf("a duplicate group name gave %v, want ErrRejected", refusal)
	}
	children, err := r.client.ChildGroups(ctx, area.ID)
	if err != nil {
		return "", fmt.Errorf("list children of %s: %w", area.ID, err)
	}
	if !sameGroups(children, []wug.Group{first}) {
		return "", fmt.Errorf("children of %s are %+v, want only %+v", area.ID, children, first)
	}
	return "refused with ErrRejected: " + refusal.Error(), nil
}

func checkMembership(ctx context.Context, r *Runner) (string, error) {
	id, _, err := r.device(ctx, "member")
	if err != nil {
		return "", err
	}
	area, err := r.group(ctx, r.box.group.ID, "members")
	if err != nil {
		return "", err
	}
	x, err := r.group(ctx, area.ID, "x")
	if err != nil {
		return "", err
	}
	y, err := r.group(ctx, area.ID, "y")
	if err != nil {
		return "", err
	}
	sb := r.box.group.ID

	res, err := r.client.AddDevicesToGroup(ctx, x.ID, []string{id})
	if err != nil {
		return "", fmt.Errorf("add device %s to group %s: %w", id, x.ID, err)
	}
	if res.Successful != 1 {
		return "", fmt.Errorf("adding one device reported %d successful operations", res.Successful)
	}
	if err := r.requireGroups(ctx, id, sb, x.ID); err != nil {
		return "", fmt.Errorf("after the add: %w", err)
	}
	listed, _, err := r.groupDeviceIDs(ctx, x.ID)
	if err != nil {
		return "", err
	}
	if !slices.Equal(listed, []string{id}) {
		return "", fmt.Errorf("group %s lists devices %v, want [%s]", x.ID, listed, id)
	}
	if err := r.client.MoveDevice(ctx, id, x.ID, y.ID); err != nil {
		return "", fmt.Errorf("move device %s from %s to %s: %w", id, x.ID, y.ID, err)
	}
	if err := r.requireGroups(ctx, id, sb, y.ID); err != nil {
		return "", fmt.Errorf("after the move: %w", err)
	}
	res, err = r.client.RemoveDevicesFromGroup(ctx, y.ID, []string{id})
	if err != nil {
		return "", fmt.Errorf("remove device %s from group %s: %w", id, y.ID, err)
	}
	if res.Successful != 1 {
		return "", fmt.Errorf("removing one device reported %d successful operations", res.Successful)
	}
	if err := r.requireGroups(ctx, id, sb); err != nil {
		return "", fmt.Errorf("after the removal: %w", err)
	}
	return "added, listed in the group, moved and removed; the sandbox membership stayed", nil
}

func checkLastStaticGroup(ctx context.Context, r *Runner) (string, error) {
	id, _, err := r.device(ctx, "last-group")
	if err != nil {
		return "", err
	}
	_, err = r.client.RemoveDevicesFromGroup(ctx, r.box.group.ID, []string{id})
	if err == nil {
		return "", fmt.Errorf("WUG let device %s leave its last static group", id)
	}
	if !errors.Is(err, wug.ErrRejected) {
		return "", fmt.Errorf("removing the last static group gave %v, want ErrRejected", err)
	}
	if err := r.requireGroups(ctx, id, r.box.group.ID); err != nil {
		return "", err
	}
	return "refused with ErrRejected; the device kept the group", nil
}
