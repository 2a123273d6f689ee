package netboxsim_test

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestGenerateInventoryIsRepeatable(t *testing.T) {
	t.Parallel()
	a := netboxsim.GenerateInventory(42, 300)
	b := netboxsim.GenerateInventory(42, 300)
	require.Equal(t, a, b)
	c := netboxsim.GenerateInventory(43, 300)
	require.NotEqual(t, a.Devices, c.Devices)
}

func TestGenerateInventoryLayout(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(1, 500)
	require.Len(t, inv.Devices, 500)
	require.Len(t, inv.Sites, 12, "about a dozen sites for 500 devices")
	require.Len(t, inv.Regions, 3)
	perRegion := map[int]int{}
	for _, s := range inv.Sites {
		perRegion[s.RegionID]++
		require.Regexp(t, `^[a-z]{3}\d$`, s.Slug)
	}
	require.Equal(t, map[int]int{1: 4, 2: 4, 3: 4}, perRegion)
	require.NotEmpty(t, inv.VirtualMachines)
	require.Len(t, inv.CustomFields, 7)

	realName := regexp.MustCompile(`^[a-z]{3}\d-[a-z-]+\d{2,3}$`)
	seen := map[string]bool{}
	realistic := 0
	for i, d := range inv.Devices {
		require.Equal(t, i+1, d.ID)
		require.NotZero(t, d.SiteID)
		require.NotZero(t, d.RoleID)
		require.NotZero(t, d.DeviceTypeID)
		require.NotEmpty(t, d.Status)
		if d.Name == nil {
			continue
		}
		key := strings.ToLower(*d.Name) + "|" + itoa(d.SiteID) + "|" + itoa(d.TenantID)
		require.False(t, seen[key], "name %q repeats within site and tenant", *d.Name)
		seen[key] = true
		if realName.MatchString(*d.Name) {
			realistic++
		}
	}
	require.Greater(t, realistic, 450, "names look like nyc1-core-sw01")
}

// TestGenerateInventoryAwkwardCases checks every awkward case is present
// at 200 devices.
func TestGenerateInventoryAwkwardCases(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(7, 200)
	ips := map[int]netboxsim.IPAddress{}
	for _, ip := range inv.IPAddresses {
		ips[ip.ID] = ip
	}
	host := func(id int) netip.Addr {
		p, err := netip.ParsePrefix(ips[id].Address)
		require.NoError(t, err)
		return p.Addr()
	}
	counts := map[string]int{}
	primaryOwners := map[netip.Addr]int{}
	for _, d := range inv.Devices {
		if d.PrimaryIP4ID == 0 && d.PrimaryIP6ID == 0 {
			counts["no primary ip"]++
		}
		if d.PrimaryIP4ID == 0 && d.PrimaryIP6ID != 0 {
			counts["ipv6 only"]++
		}
		counts["status "+d.Status]++
		for _, id := range []int{d.PrimaryIP4ID, d.PrimaryIP6ID} {
			if id == 0 {
				continue
			}
			a := host(id)
			primaryOwners[a]++
			if a.IsLoopback() {
				counts["loopback primary"]++
			}
			if a.IsLinkLocalUnicast() {
				counts["link-local primary"]++
			}
		}
		if d.Name == nil {
			counts["null name"]++
		} else if !isASCII(*d.Name) {
			require.True(t, utf8.ValidString(*d.Name))
			counts["non-ascii name"]++
		}
		if d.AssetTag != nil {
			counts["asset tag"]++
		}
		if d.TenantID == 0 {
			counts["no tenant"]++
		}
	}
	for a, n := range primaryOwners {
		if n > 1 && !a.IsLoopback() {
			counts["same ip on two devices"]++
		}
	}
	for _, c := range []string{
		"no primary ip", "ipv6 only", "status offline", "status planned", "status active",
		"loopback primary", "link-local primary", "null name", "non-ascii name",
		"same ip on two devices", "asset tag", "no tenant",
	} {
		require.Positive(t, counts[c], c)
	}
	require.Greater(t, counts["status active"], 150, "most devices are active")
	require.Less(t, counts["no primary ip"], 20, "awkward cases stay rare")
}

func TestGenerateInventorySmallAndEmpty(t *testing.T) {
	t.Parallel()
	empty := netboxsim.GenerateInventory(1, 0)
	require.Empty(t, empty.Devices)
	require.Len(t, empty.Sites, 3)
	small := netboxsim.GenerateInventory(1, 10)
	require.Len(t, small.Devices, 10)
	neg := netboxsim.GenerateInventory(1, -5)
	require.Empty(t, neg.Devices)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
