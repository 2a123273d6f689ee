package export

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

// testVM is a NetBox VM with a cluster, unsorted tags and no site.
func testVM() netbox.VirtualMachine {
	return netbox.VirtualMachine{
		ID: 42, Name: "web-01", Status: netbox.Choice{Value: "active", Label: "Active"},
		Cluster:    &netbox.Ref{ID: 7, Name: "ESX Prod"},
		Role:       &netbox.Ref{ID: 3, Name: "Application Server", Slug: "application-server"},
		Platform:   &netbox.Ref{ID: 4, Name: "Ubuntu Linux", Slug: "ubuntu-linux"},
		PrimaryIP4: ipRef("10.9.0.42/24"),
		Tags:       []netbox.Tag{{ID: 2, Name: "PCI", Slug: "pci-dss"}, {ID: 1, Name: "Monitored", Slug: "monitored"}, {ID: 3, Name: "Critical", Slug: "critical"}},
	}
}

func attrsOf(m Mapped) map[string]string { return m.Fields.Attributes }

func TestMapVirtualMachine(t *testing.T) {
	t.Parallel()
	m, err := MapObject(VMObject(testVM()), MapOptions{GroupTemplate: "{cluster}/{site}", NetBoxURL: "https://nb.example"})
	require.NoError(t, err)
	require.Equal(t, "nb-vm-42", m.Template.TemplateID, "never nb-42, the device with the same id")
	require.Equal(t, "web-01", m.Template.DisplayName)
	require.Equal(t, []string{"ESX Prod", "No Site"}, m.Fields.GroupPath)
	a := attrsOf(m)
	require.Equal(t, "virtualmachine", a[AttributeNetBoxObjectType])
	require.Equal(t, "ESX Prod", a[AttributeNetBoxCluster])
	require.Equal(t, "critical,monitored,pci-dss", a[AttributeNetBoxTags], "slugs sorted, joined by a comma, no space")
	require.Equal(t, "https://nb.example/virtualization/virtual-machines/42/", a[AttributeNetBoxURL])
	require.Equal(t, "42", a[AttributeNetBoxID])
	require.NotContains(t, a, AttributeNetBoxSite, "a VM without a site has no site attribute")
	require.NotContains(t, a, AttributeNetBoxDeviceType)
	require.Contains(t, m.Template.Note, "NetBox: https://nb.example/virtualization/virtual-machines/42/")
	require.Equal(t, netip.MustParseAddr("10.9.0.42"), m.Address)

	d, err := MapObject(DeviceObject(realisticDevice(t)), MapOptions{})
	require.NoError(t, err)
	require.Equal(t, "device", attrsOf(d)[AttributeNetBoxObjectType])
	require.Equal(t, "nb-42", d.Template.TemplateID)

	untagged := testVM()
	untagged.Tags, untagged.Name, untagged.Display = nil, "", ""
	m, err = MapObject(VMObject(untagged), MapOptions{})
	require.NoError(t, err)
	require.NotContains(t, attrsOf(m), AttributeNetBoxTags, "no tags, no attribute")
	require.Equal(t, "vm-42", m.Template.DisplayName)
}

func TestEligibleObjectClustersAndExcludedTags(t *testing.T) {
	t.Parallel()
	vm := VMObject(testVM())
	ok, _ := EligibleObject(vm, DeviceFilters{Clusters: FilterValues{FilterID(7)}})
	require.True(t, ok, "by cluster id")
	ok, _ = EligibleObject(vm, DeviceFilters{Clusters: FilterValues{"esx prod"}})
	require.True(t, ok, "by cluster name, any case")
	ok, reason := EligibleObject(vm, DeviceFilters{Clusters: FilterValues{FilterID(8), "Other"}})
	require.False(t, ok)
	require.Equal(t, `cluster "ESX Prod" not in [id=8 Other]`, reason)
	ok, reason = EligibleObject(DeviceObject(netbox.Device{ID: 1, Status: netbox.Choice{Value: "active"}}),
		DeviceFilters{Clusters: FilterValues{FilterID(7)}})
	require.False(t, ok)
	require.Equal(t, "cluster none not in [id=7]", reason)

	ok, reason = EligibleObject(vm, DeviceFilters{ExcludeTags: FilterValues{"no-monitoring", "PCI-DSS"}})
	require.False(t, ok)
	require.Equal(t, "tag [PCI-DSS] is excluded (exclude_tags [no-monitoring PCI-DSS])", reason)
	ok, _ = EligibleObject(vm, DeviceFilters{ExcludeTags: FilterValues{FilterID(3)}})
	require.False(t, ok, "by tag id")
	ok, _ = EligibleObject(vm, DeviceFilters{ExcludeTags: FilterValues{"no-monitoring"}})
	require.True(t, ok)
}

func TestResolveClusters(t *testing.T) {
	t.Parallel()
	clusters := []netbox.Cluster{{ID: 7, Name: "ESX Prod"}, {ID: 9, Name: "Lab"}}
	q, err := ResolveClusters(NetBoxQuery(DeviceFilters{Clusters: FilterValues{FilterID(3), "lab"}}), clusters)
	require.NoError(t, err)
	require.Equal(t, []int64{3, 9}, q.ClusterIDs)
	require.Empty(t, q.Clusters, "devices cannot be filtered by cluster name")
	_, err = ResolveClusters(NetBoxQuery(DeviceFilters{Clusters: FilterValues{"gone"}}), clusters)
	require.ErrorIs(t, err, netbox.ErrConfig)
	var fe *netbox.FilterError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, "gone", fe.Value)
	require.Empty(t, NetBoxQuery(DeviceFilters{ExcludeTags: FilterValues{"x"}}).ExcludeTags,
		"excluded objects are listed, so that they are explained")
}

func TestConflictTrackerTellsKindsApart(t *testing.T) {
	t.Parallel()
	var tr ConflictTracker
	a := netip.MustParseAddr("10.0.0.1")
	_, dup := tr.AddObject(ObjectRef{Type: ObjectDevice, ID: 5}, a)
	require.False(t, dup)
	other, dup := tr.AddObject(ObjectRef{Type: ObjectVirtualMachine, ID: 5}, a)
	require.True(t, dup, "VM 5 and device 5 on one address are two objects in conflict")
	require.Equal(t, ObjectRef{Type: ObjectDevice, ID: 5}, other)
	_, dup = tr.AddObject(ObjectRef{Type: ObjectDevice, ID: 5}, a)
	require.False(t, dup, "the same object again is no conflict")
	require.Equal(t, "IP conflict: 10.0.0.1 is also the primary IP of NetBox virtual machine 5 (web-01)",
		ObjectConflictReason("10.0.0.1", ObjectRef{Type: ObjectVirtualMachine, ID: 5}, "web-01"))
}

func TestMergeKeepsTheConnectionsExclusions(t *testing.T) {
	t.Parallel()
	conn := DeviceFilters{Clusters: FilterValues{"a"}, ExcludeTags: FilterValues{"x"}}
	got := conn.Merge(DeviceFilters{Clusters: FilterValues{"b"}, ExcludeTags: FilterValues{"y", "x"}})
	require.Equal(t, FilterValues{"b"}, got.Clusters, "a run's list replaces the connection's")
	require.Equal(t, FilterValues{"x", "y"}, got.ExcludeTags, "a run excludes more, never less")
	require.False(t, DeviceFilters{ExcludeTags: FilterValues{"x"}}.Empty())
}

// TestExplainJudgesEveryFilterTheExportApplies: the explanation of a VM or
// a device is the export's own rule, clusters and exclude_tags included,
// and names the filter's key.
func TestExplainJudgesEveryFilterTheExportApplies(t *testing.T) {
	t.Parallel()
	vm := testVM()
	require.True(t, ExplainVM(vm, DeviceFilters{Clusters: FilterValues{FilterID(7)}}).Selected, "its own cluster selects it")
	sel := ExplainVM(vm, DeviceFilters{Clusters: FilterValues{"Other"}})
	require.Equal(t, Selection{Filter: "clusters", Reason: `cluster "ESX Prod" not in [Other]`}, sel)
	sel = ExplainVM(vm, DeviceFilters{ExcludeTags: FilterValues{"pci-dss"}})
	require.Equal(t, Selection{Filter: "exclude_tags", Reason: "tag [pci-dss] is excluded (exclude_tags [pci-dss])"}, sel)

	d := netbox.Device{ID: 1, Status: netbox.Choice{Value: "active"}, Tags: []netbox.Tag{{ID: 9, Slug: "lab"}}}
	sel = Explain(d, DeviceFilters{ExcludeTags: FilterValues{FilterID(9)}})
	require.Equal(t, "exclude_tags", sel.Filter)
	require.False(t, sel.Selected)
	sel = Explain(d, DeviceFilters{Clusters: FilterValues{FilterID(7)}})
	require.Equal(t, Selection{Filter: "clusters", Reason: "cluster none not in [id=7]"}, sel)
}
