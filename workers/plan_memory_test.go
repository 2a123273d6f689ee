package workers

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
)

// v4 is the n-th address of 10.0.0.0/8.
func v4(n int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
}

func dev(id int64) export.ObjectRef { return export.ObjectRef{Type: export.ObjectDevice, ID: id} }
func vm(id int64) export.ObjectRef {
	return export.ObjectRef{Type: export.ObjectVirtualMachine, ID: id}
}

func TestPrimaryIndexFindsTheOtherHolder(t *testing.T) {
	t.Parallel()
	ix := &primaryIndex{}
	shared := netip.MustParseAddr("2001:db8::1")
	ix.add(v4(3), 3, false, "sw-3")
	ix.add(v4(1), 1, false, "sw-1")
	ix.add(v4(1), 1, true, "vm-1") // a VM sharing a device's id and address
	ix.add(shared, 7, false, "sw-7")
	ix.add(shared, 8, false, "sw-8")
	ix.add(netip.MustParseAddr("::ffff:10.0.0.2"), 2, false, "sw-2") // IPv4-mapped
	ix.sort()

	_, dup := ix.other(v4(3), dev(3))
	require.False(t, dup, "an object alone on its address")
	h, dup := ix.other(v4(1), dev(1))
	require.True(t, dup)
	require.Equal(t, export.PrimaryHolder{VirtualMachine: true, ID: 1, Name: "vm-1"}, h)
	h, dup = ix.other(v4(1), vm(1))
	require.True(t, dup)
	require.Equal(t, export.PrimaryHolder{ID: 1, Name: "sw-1"}, h)
	h, dup = ix.other(shared, dev(8))
	require.True(t, dup)
	require.Equal(t, export.PrimaryHolder{ID: 7, Name: "sw-7"}, h)
	_, dup = ix.other(v4(2), dev(2))
	require.False(t, dup, "a mapped address is its IPv4 address")
	h, dup = ix.other(v4(9), dev(9))
	require.False(t, dup, "nobody holds %s: %v", v4(9), h)
	require.Equal(t, "sw-2", ix.name(v4(2), dev(2)))
	require.Empty(t, ix.name(v4(2), dev(3)))

	var none *primaryIndex
	_, dup = none.other(v4(1), dev(1))
	require.False(t, dup, "no index: no conflict")
}

func TestAddressClaimsReportTheFirstClaimant(t *testing.T) {
	t.Parallel()
	c := newAddressClaims()
	six := netip.MustParseAddr("2001:db8::5")
	_, dup := c.AddObject(dev(5), v4(5))
	require.False(t, dup)
	_, dup = c.AddObject(dev(5), v4(5))
	require.False(t, dup, "the same object again")
	other, dup := c.AddObject(vm(5), v4(5))
	require.True(t, dup, "a VM and a device sharing an id are two objects")
	require.Equal(t, dev(5), other)
	other, dup = c.AddObject(dev(9), netip.MustParseAddr("::ffff:10.0.0.5"))
	require.True(t, dup)
	require.Equal(t, dev(5), other)
	_, dup = c.AddObject(vm(6), six)
	require.False(t, dup)
	other, dup = c.AddObject(export.ObjectRef{ID: 7}, six)
	require.True(t, dup)
	require.Equal(t, vm(6), other)
}

func TestObjectSetHasWhatWasAdded(t *testing.T) {
	t.Parallel()
	s := newObjectSet()
	for _, id := range []int64{1, 4, 9} {
		s.add(dev(id))
	}
	s.add(vm(4))
	require.True(t, s.has(dev(4)))
	require.False(t, s.has(dev(5)))
	require.True(t, s.has(vm(4)))
	require.False(t, s.has(vm(1)))
	s.add(dev(2)) // out of order: sorted again at the next lookup
	s.add(dev(9))
	require.True(t, s.has(dev(2)))
	require.True(t, s.has(dev(9)))
	require.False(t, s.has(dev(3)))
}

// planStateBytes is the heap a plan's per-run structures take for n
// objects, each on its own IPv4 address with a 16-byte name: the primary
// index, the address claims and the set of decided objects.
func planStateBytes(n int) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ix := &primaryIndex{}
	claims := newAddressClaims()
	seen := newObjectSet()
	for i := range n {
		ix.add(v4(i), int64(i+1), false, fmt.Sprintf("site-%02d-sw-%05d", i%50, i))
	}
	ix.sort()
	for i := range n {
		claims.AddObject(dev(int64(i+1)), v4(i))
		seen.add(dev(int64(i + 1)))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ix)
	runtime.KeepAlive(claims)
	runtime.KeepAlive(seen)
	return after.HeapAlloc - before.HeapAlloc
}

// BenchmarkPlanStateBytes reports the bytes per object a plan keeps for a
// whole run (go test -run '^$' -bench PlanStateBytes ./workers/).
func BenchmarkPlanStateBytes(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var bytes uint64
			for range b.N {
				bytes = planStateBytes(n)
			}
			b.ReportMetric(float64(bytes)/float64(n), "bytes/object")
		})
	}
}
