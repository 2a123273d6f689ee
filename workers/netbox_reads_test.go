package workers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// readsPageSize is a small NetBox page, so a run over a few hundred
// objects reads many pages and writes many batches.
const readsPageSize = 50

// pages is how many list calls a listing of n objects takes.
func pages(n int) int { return max(1, (n+readsPageSize-1)/readsPageSize) }

// netboxReads counts the GET requests NetBox saw, and the reads of
// objects by id (id=…, what a batch re-reading its devices would send).
func (b *testBundle) netboxReads() (reads, byID int) {
	for _, r := range b.nb.Requests() {
		if r.Method != http.MethodGet {
			continue
		}
		reads++
		if r.Query.Has("id") && (strings.HasSuffix(r.Path, "/dcim/devices/") || strings.HasSuffix(r.Path, "/virtualization/virtual-machines/")) {
			byID++
		}
	}
	return reads, byID
}

// A cold run reads NetBox within 1.5× the floor's reads: every page of
// devices (and of VMs when they are exported) plus one paged listing of
// primary addresses for the conflict check. Its batches, many more than
// the floor's pages, write what the plan mapped and read nothing.
func TestNetBoxReadsPerRunStayWithinTheBound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		vms  bool
	}{{"devices", false}, {"devices and VMs", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bundleOptions{devices: 300,
				conn: func(c *models.WUGConnection) {
					c.BatchSize, c.ExportVirtualMachines = 10, tc.vms
				},
				params: func(p *workers.Params) {
					nb, err := netbox.New(netbox.Config{URL: p.NetBox.Server(), Token: netboxsim.DefaultToken, PageSize: readsPageSize})
					require.NoError(t, err)
					p.NetBox = nb
				}})
			devices, vms := len(b.nb.Devices()), 0
			if tc.vms {
				vms = len(b.nb.VirtualMachines())
				require.Positive(t, vms)
			}
			floor := pages(devices) + pages(devices+vms)
			if tc.vms {
				floor += pages(vms)
			}

			run := b.export(tasks.ExportRequest{})
			require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
			require.Positive(t, run.DevicesCreated)
			require.Greater(t, run.BatchesTotal, floor, "more batches than floor pages: a read per batch would break the bound")
			reads, byID := b.netboxReads()
			require.Zero(t, byID, "a batch reads nothing from NetBox")
			require.LessOrEqual(t, 2*reads, 3*floor, "NetBox reads %d, floor %d", reads, floor)
		})
	}
}
