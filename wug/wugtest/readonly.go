package wugtest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/wugsync/wugsync/wug"
)

// ReadOnlyCases are the cases that change nothing on the server, in the order they should
// run: login first, since every other case needs it.
func ReadOnlyCases() []Case {
	return []Case{
		{
			Name:    "login",
			Promise: "the client signs in with the password grant once and uses the token for the calls that follow",
			fix:     "check the connection's base URL, username and password",
			run:     checkLogin,
		},
		{
			Name:    "product_version",
			Promise: "the client reads the product version, and the profile describes that version",
			fix:     "choose the profile of this WUG version (WUGSYNC_TEST_WUG_PROFILE), or leave it unset to choose by version",
			run:     checkProductVersion,
		},
		{
			Name:    "device_count",
			Promise: "DeviceCount reads how many devices My Network holds in one call",
			needs:   needs("DeviceCountDetail", func(f Features) Support { return f.DeviceCountDetail }),
			fix:     "WUG's GET /device-groups/0?view=detail did not give details.deviceDescendantCount; report the answer with the WUG version",
			run:     checkDeviceCount,
		},
		{
			Name:    "device_listing",
			Promise: "ListDevices(My Network) yields every device once, as many as DeviceCount says",
			fix:     "the client's device listing and WUG's count disagree: compare GET /device-groups/0/devices/- page by page with the count",
			run:     checkDeviceListing,
		},
		{
			Name:    "device_paging",
			Promise: "listings follow paging.nextPageId with the same query until it is empty",
			fix:     "the client stopped paging early or asked for the wrong page size: check wug/paging.go against reference/wug-api.md §3.2",
			run:     checkDevicePaging,
		},
		{
			Name:    "group_root",
			Promise: "ListGroups yields My Network (id 0, no parent) and every group's parent",
			fix:     "WUG's group listing lacks My Network or a parent: check GET /device-groups/- and the user's group rights",
			run:     checkGroupRoot,
		},
		{
			Name:    "search_by_ip",
			Promise: "FindDevicesByIP returns exactly the devices with that address, though WUG's search matches substrings",
			fix:     "the client's exact-match filter or its paging of searches is broken: check wug/devices.go FindDevicesByIP",
			run:     checkSearchByIP,
		},
	}
}

func checkLogin(ctx context.Context, r *Runner) (string, error) {
	before := r.count(wug.OpToken)
	_, err := r.client.ProductVersion(ctx)
	var apiErr *wug.APIError
	if err != nil && (!errors.As(err, &apiErr) || apiErr.Op == wug.OpToken) {
		return "", fmt.Errorf("sign in as %q: %w", r.target.Config.Username, err)
	}
	if _, err := r.client.ProductVersion(ctx); err != nil && errors.As(err, &apiErr) && apiErr.Op == wug.OpToken {
		return "", fmt.Errorf("second call as %q: %w", r.target.Config.Username, err)
	}
	if n := r.count(wug.OpToken) - before; n > 1 {
		return "", fmt.Errorf("the client asked for a token %d times for two calls; it must sign in once and reuse the token", n)
	}
	return fmt.Sprintf("signed in as %q", r.target.Config.Username), nil
}

func checkProductVersion(ctx context.Context, r *Runner) (string, error) {
	info, err := r.client.ProductVersion(ctx)
	if err != nil {
		return "", fmt.Errorf("read the product version: %w", err)
	}
	if strings.TrimSpace(info.Version) == "" {
		return "", fmt.Errorf("GET /product/version answered no version (values %v)", info.Values)
	}
	p := r.Profile(ctx)
	if len(p.VersionPrefixes) > 0 && !p.Matches(info.Version) {
		return "", fmt.Errorf("WUG reports version %s, which profile %s does not describe (%s would)",
			info.Version, p.Name, ProfileForVersion(info.Version).Name)
	}
	detail := fmt.Sprintf("WhatsUp Gold %s; profile %s", info.Version, p.Name)
	if r.profileNote != "" {
		detail += " (" + r.profileNote + ")"
	}
	return detail, nil
}

func checkDeviceCount(ctx context.Context, r *Runner) (string, error) {
	n, err := r.client.DeviceCount(ctx)
	if err != nil {
		return "", fmt.Errorf("count devices: %w", err)
	}
	if n < 0 {
		return "", fmt.Errorf("WUG counts %d devices", n)
	}
	return fmt.Sprintf("%d devices under My Network", n), nil
}

// inventory is every device of My Network as the client lists it, read once per Runner.
type inventory struct {
	devices []wug.DeviceOverview
	pages   int
	err     error
}

func (r *Runner) inventory(ctx context.Context) (*inventory, error) {
	if r.inv != nil && r.inv.err == nil {
		return r.inv, nil
	}
	inv := &inventory{}
	before := r.count(wug.OpListDevices)
	inv.err = r.client.ListDevices(ctx, wug.RootGroupID, func(page []wug.DeviceOverview) error {
		inv.devices = append(inv.devices, page...)
		return nil
	})
	inv.pages = r.count(wug.OpListDevices) - before
	r.inv = inv
	if inv.err != nil {
		return nil, fmt.Errorf("list the devices of My Network: %w", inv.err)
	}
	return inv, nil
}

func checkDeviceListing(ctx context.Context, r *Runner) (string, error) {
	inv, err := r.inventory(ctx)
	if err != nil {
		return "", err
	}
	seen := make(map[string]bool, len(inv.devices))
	for i, d := range inv.devices {
		if d.ID == "" {
			return "", fmt.Errorf("device %d of the listing (%q) has no id", i, d.Name)
		}
		if seen[d.ID] {
			return "", fmt.Errorf("device %s (%q) is listed twice", d.ID, d.Name)
		}
		seen[d.ID] = true
	}
	detail := fmt.Sprintf("%d devices in %d pages", len(inv.devices), inv.pages)
	if r.features(ctx).DeviceCountDetail != Supported {
		return detail + "; not compared with DeviceCount, which profile " + r.Profile(ctx).Name + " does not confirm", nil
	}
	n, err := r.client.DeviceCount(ctx)
	if err != nil {
		return "", fmt.Errorf("count devices: %w", err)
	}
	if n != len(inv.devices) {
		return "", fmt.Errorf("the listing yielded %d devices in %d pages, but WUG counts %d", len(inv.devices), inv.pages, n)
	}
	return detail + ", as many as WUG counts", nil
}

func checkDevicePaging(ctx context.Context, r *Runner) (string, error) {
	inv, err := r.inventory(ctx)
	if err != nil {
		return "", err
	}
	n := len(inv.devices)
	if size := r.features(ctx).PageSize; size > 0 {
		if want := max(1, (n+size-1)/size); inv.pages != want {
			return "", fmt.Errorf("%d devices at %d per page take %d pages, but the client read %d", n, size, want, inv.pages)
		}
	}
	if inv.pages < 2 {
		return "", skip(fmt.Sprintf("all %d devices fit in one page, so paging is not exercised on this server", n))
	}
	return fmt.Sprintf("%d devices over %d pages", n, inv.pages), nil
}

func checkGroupRoot(ctx context.Context, r *Runner) (string, error) {
	groups, err := r.client.ListGroups(ctx)
	if err != nil {
		return "", fmt.Errorf("list groups: %w", err)
	}
	byID := make(map[string]wug.Group, len(groups))
	for _, g := range groups {
		if g.ID == "" {
			return "", fmt.Errorf("group %q has no id", g.Name)
		}
		if _, dup := byID[g.ID]; dup {
			return "", fmt.Errorf("group %s (%q) is listed twice", g.ID, g.Name)
		}
		byID[g.ID] = g
	}
	root, ok := byID[wug.RootGroupID]
	if !ok {
		return "", fmt.Errorf("no group with id %s among %d groups", wug.RootGroupID, len(groups))
	}
	if root.Name != wug.RootGroupName || root.ParentID != "" {
		return "", fmt.Errorf("group %s is %q with parent %q; want %q with no parent", wug.RootGroupID, root.Name, root.ParentID, wug.RootGroupName)
	}
	for _, g := range groups {
		if g.ID == wug.RootGroupID {
			continue
		}
		if _, ok := byID[g.ParentID]; !ok {
			return "", fmt.Errorf("group %s (%q) has parent %q, which the listing lacks", g.ID, g.Name, g.ParentID)
		}
	}
	return fmt.Sprintf("My Network and %d groups below it", len(groups)-1), nil
}

// checkSearchByIP searches for the address that is part of the most other addresses (so that
// WUG's substring search returns devices the client must drop) and compares the answer with
// the devices of the listing that have exactly that address.
func checkSearchByIP(ctx context.Context, r *Runner) (string, error) {
	inv, err := r.inventory(ctx)
	if err != nil {
		return "", err
	}
	type candidate struct {
		addr     netip.Addr
		text     string
		contains int
		index    int
	}
	var cands []candidate
	for i, d := range inv.devices {
		if a, err := netip.ParseAddr(strings.TrimSpace(d.NetworkAddress)); err == nil {
			cands = append(cands, candidate{addr: a.Unmap(), text: a.Unmap().String(), index: i})
		}
	}
	if len(cands) == 0 {
		return "", skip(fmt.Sprintf("none of the %d devices has an IP address to search for", len(inv.devices)))
	}
	for i := range cands {
		for _, other := range cands {
			if other.text != cands[i].text && strings.Contains(other.text, cands[i].text) {
				cands[i].contains++
			}
		}
	}
	// The most substring matches first; among equals, the device listed last, which a
	// search that stops after its first page is the likeliest to miss.
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].contains != cands[j].contains {
			return cands[i].contains > cands[j].contains
		}
		return cands[i].index > cands[j].index
	})
	target := cands[0]
	var want []string
	for _, d := range inv.devices {
		if sameAddr(d.NetworkAddress, target.addr) || sameAddr(d.HostName, target.addr) {
			want = append(want, d.ID)
		}
	}
	found, err := r.client.FindDevicesByIP(ctx, target.text)
	if err != nil {
		return "", fmt.Errorf("search %s: %w", target.text, err)
	}
	if err := sameIDs(found, want); err != nil {
		return "", fmt.Errorf("search %s: %w", target.text, err)
	}
	return fmt.Sprintf("%s: %d exact match(es); %d other listed address(es) contain it", target.text, len(want), target.contains), nil
}

func sameAddr(s string, addr netip.Addr) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	return err == nil && a.Unmap() == addr
}

// sameIDs compares the devices found with the ids wanted, as sets.
func sameIDs(found []wug.DeviceOverview, want []string) error {
	got := make([]string, 0, len(found))
	for _, d := range found {
		got = append(got, d.ID)
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("found devices %v, want %v", got, want)
	}
	return nil
}
