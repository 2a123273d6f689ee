package export

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

// A plan stores Fields as JSON and a batch rebuilds the template from
// them: the rebuilt mapping must be what MapObject made, attribute order
// included, for a full device, a sparse one on IPv6, and a VM.
func TestMappedFromFieldsRebuildsTheMapping(t *testing.T) {
	t.Parallel()

	sparse := deviceWith(t, func(d *netbox.Device) {
		d.Name = nil
		d.Platform, d.Tenant, d.Rack, d.Location, d.Position = nil, nil, nil, nil, nil
		d.PrimaryIP4 = nil
		d.PrimaryIP6 = &netbox.IPRef{ID: 7, Family: 6, Address: "2a00:1450:4001::11/64", DNSName: "sw.example.net"}
	})
	vm := DeviceObject(realisticDevice(t))
	vm.Type = ObjectVirtualMachine
	vm.Cluster = &netbox.Ref{ID: 3, Name: "prod-cluster"}
	objects := []Object{DeviceObject(realisticDevice(t)), DeviceObject(sparse), vm}
	for _, obj := range objects {
		m, err := MapObject(obj, MapOptions{GroupTemplate: "{region}/{site}", Site: SiteInfo{Region: "Europe"}, NetBoxURL: "https://nb.example.com"})
		require.NoError(t, err)
		stored, err := json.Marshal(m.Fields)
		require.NoError(t, err)
		var f Fields
		require.NoError(t, json.Unmarshal(stored, &f))

		got, err := MappedFromFields(obj.Ref(), f)
		require.NoError(t, err)
		require.Equal(t, m.Template, got.Template, "%s", obj.Ref())
		require.Equal(t, m.Address, got.Address)
		require.Equal(t, m.Fields.Hash(), got.Fields.Hash())
	}
}

func TestMappedFromFieldsRefusesABadAddress(t *testing.T) {
	t.Parallel()

	_, err := MappedFromFields(ObjectRef{Type: ObjectDevice, ID: 1}, Fields{IPAddress: "not-an-ip"})
	require.Error(t, err)
}
