package export

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleFields() Fields {
	return Fields{
		DisplayName: "fra1-core-sw-01",
		IPAddress:   "10.20.0.11",
		NetworkName: "10.20.0.11",
		GroupPath:   []string{"Europe", "FRA1"},
		PrimaryRole: "Switch",
		DeviceType:  "Switch",
		Brand:       "Cisco",
		OS:          "Cisco IOS-XE",
		Note:        "Managed by wugsync",
		Attributes:  map[string]string{"NetBox_ID": "42", "NetBox_Site": "FRA1", "NetBox_Role": "Core Switch"},
	}
}

func TestHashIgnoresMapOrderAndNilVersusEmpty(t *testing.T) {
	t.Parallel()

	base := sampleFields()
	reordered := sampleFields()
	reordered.Attributes = map[string]string{}
	for _, k := range []string{"NetBox_Role", "NetBox_Site", "NetBox_ID"} {
		reordered.Attributes[k] = base.Attributes[k]
	}
	require.Equal(t, base.Hash(), reordered.Hash())

	empty := Fields{GroupPath: []string{}, Attributes: map[string]string{}}
	require.Equal(t, Fields{}.Hash(), empty.Hash())
	require.Len(t, base.Hash(), 64)
}

func TestHashSeesEveryField(t *testing.T) {
	t.Parallel()

	base := sampleFields().Hash()
	edits := map[string]func(f *Fields){
		"display name":    func(f *Fields) { f.DisplayName += "x" },
		"ip":              func(f *Fields) { f.IPAddress = "10.20.0.12" },
		"network name":    func(f *Fields) { f.NetworkName = "sw.example.net" },
		"group level":     func(f *Fields) { f.GroupPath[1] = "BER1" },
		"group depth":     func(f *Fields) { f.GroupPath = []string{"Europe/FRA1"} },
		"role":            func(f *Fields) { f.PrimaryRole = "Router" },
		"device type":     func(f *Fields) { f.DeviceType = "Router" },
		"brand":           func(f *Fields) { f.Brand = "Arista" },
		"os":              func(f *Fields) { f.OS = "EOS" },
		"note":            func(f *Fields) { f.Note += "!" },
		"attribute value": func(f *Fields) { f.Attributes["NetBox_Site"] = "BER1" },
		"attribute added": func(f *Fields) { f.Attributes["NetBox_Rack"] = "R1" },
		"attribute gone":  func(f *Fields) { delete(f.Attributes, "NetBox_Role") },
		// Length prefixes keep adjacent values from running into each other.
		"value shifted between fields": func(f *Fields) { f.Brand, f.OS = "Cisco Cisco", "IOS-XE" },
		"attribute name/value split":   func(f *Fields) { delete(f.Attributes, "NetBox_ID"); f.Attributes["NetBox_ID4"] = "2" },
	}
	seen := map[string]string{base: "base"}
	for name, edit := range edits {
		f := sampleFields()
		edit(&f)
		h := f.Hash()
		require.NotContains(t, seen, h, "%s hashes like %s", name, seen[h])
		seen[h] = name
	}
}

func TestFieldsJSONRoundTripKeepsHash(t *testing.T) {
	t.Parallel()

	for name, f := range map[string]Fields{
		"full":      sampleFields(),
		"zero":      {},
		"empty":     {GroupPath: []string{}, Attributes: map[string]string{}},
		"non-ascii": {DisplayName: "zürich-北京 🛰", Note: "line1\nline2 <&>"},
		"mapped":    mustMap(t),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := json.Marshal(f)
			require.NoError(t, err)
			var back Fields
			require.NoError(t, json.Unmarshal(raw, &back))
			require.Equal(t, f.Hash(), back.Hash())
			require.Empty(t, Diff(f, back))
		})
	}
}

func TestFieldsJSONNames(t *testing.T) {
	t.Parallel()

	raw, err := json.Marshal(Fields{GroupPath: []string{"A"}, Attributes: map[string]string{"k": "v"}})
	require.NoError(t, err)
	require.JSONEq(t, `{"display_name":"","ip_address":"","network_name":"","group_path":["A"],"primary_role":"",
		"device_type":"","brand":"","os":"","note":"","attributes":{"k":"v"}}`, string(raw))
}

func mustMap(t *testing.T) Fields {
	t.Helper()
	m, err := Map(realisticDevice(t), MapOptions{GroupTemplate: "{region}/{site}", Site: SiteInfo{Region: "Europe"}})
	require.NoError(t, err)
	return m.Fields
}

// The hash is stored on every exported row and compared on every run: the
// same Fields must keep the same hash from one release to the next, or an
// upgrade would rewrite every device in WUG. The value below was computed
// by the first implementation (fmt into SHA-256); any rewrite of Hash must
// reproduce it.
func TestHashIsStableAcrossReleases(t *testing.T) {
	t.Parallel()
	f := Fields{DisplayName: "core-sw-01", IPAddress: "10.0.3.7", NetworkName: "core-sw-01.dc1",
		GroupPath: []string{"Europe", "dc1/hall A"}, PrimaryRole: "Switch", DeviceType: "Switch",
		Brand: "Cisco", OS: "IOS-XE", Note: "from NetBox; ünïcode ✓",
		Attributes: map[string]string{"NetBox_ID": "7", "NetBox_Site": "dc1", "NetBox_Tags": "a=b;c"}}
	require.Equal(t, "fe61c1ab7431c91d4de2a5d65925a404ad0435dff99a11b87ae22b7e3dca36a9", f.Hash())
	require.Equal(t, "1962228e509d4bec86a0d30f8b0794ab6eb242fd3112ed7fcea28dc81c0bb303", Fields{}.Hash())
}
