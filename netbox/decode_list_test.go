package netbox

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

// simDevicePages returns the raw device list pages a simulator of version
// answers, as the export asks for them and with every field.
func simDevicePages(t *testing.T, version string) [][]byte {
	t.Helper()
	sim, err := netboxsim.New(netboxsim.Options{Version: version, Devices: 300, Seed: 11})
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, Token: netboxsim.DefaultToken})
	require.NoError(t, err)
	var pages [][]byte
	for _, q := range []url.Values{
		{"limit": {"1000"}},
		{"limit": {"100"}, "offset": {"100"}, "fields": {deviceKind.fields}},
		{"limit": {"50"}, "brief": {"true"}},
	} {
		var raw json.RawMessage
		_, err := c.getJSON(context.Background(), devicesPath, q, &raw)
		require.NoError(t, err)
		pages = append(pages, raw)
	}
	return pages
}

// requireSameAsLenient decodes body both ways: where the lenient decoder
// fails the fast one must not succeed, and where both succeed they agree.
// It reports whether the fast decode took the page.
func requireSameAsLenient(t *testing.T, body []byte) bool {
	t.Helper()
	var lenient page[Device]
	lerr := json.Unmarshal(body, &lenient)
	var fast page[Device]
	ok := fast.decodeList(body)
	if lerr != nil {
		require.False(t, ok, "the fast decode took a page the lenient one refuses (%v)", lerr)
		return false
	}
	if ok {
		require.Equal(t, lenient, fast)
	}
	return ok
}

func TestListPageDecodesAsTheLenientDecoderDoes(t *testing.T) {
	t.Parallel()
	for _, version := range []string{netboxsim.Version42, netboxsim.Version44, netboxsim.Version45} {
		for i, body := range simDevicePages(t, version) {
			require.True(t, requireSameAsLenient(t, body), "%s page %d is in the common form: the fast decode must take it", version, i)
		}
	}

	wrap := func(device string) []byte {
		return []byte(`{"count": 1, "next": null, "previous": null, "results": [` + device + `]}`)
	}
	// Drift both decoders read (TestDecodeDrift): pre-3.6 device_role,
	// flat family, decimals as strings, missing display_url, date-only
	// timestamps, nulls.
	drift, err := os.ReadFile("testdata/device_drift.json")
	require.NoError(t, err)
	require.True(t, requireSameAsLenient(t, wrap(string(drift))))
	require.True(t, requireSameAsLenient(t, wrap(`{"id": 1, "last_updated": "2025-06-12 14:03:27", "created": "2025-06-12T14:03:27.123456"}`)))
	require.True(t, requireSameAsLenient(t, wrap(`{"id": 1, "role": {"id": 4, "slug": "r"}, "device_role": {"id": 5, "slug": "old"}, "tags": [], "position": null, "created": null}`)))

	// Forms only the lenient decoder reads (webhook snapshots, NetBox 2.x):
	// the page goes to it, and comes out the same.
	for name, device := range map[string]string{
		"site as a bare id":      `{"id": 1, "site": 4}`,
		"device type as an id":   `{"id": 1, "device_type": 3}`,
		"tag as a name":          `{"id": 1, "tags": ["monitored"]}`,
		"status as a bare value": `{"id": 1, "status": "active"}`,
		"ip as a bare id":        `{"id": 1, "primary_ip4": 11}`,
		"manufacturer as an id":  `{"id": 1, "device_type": {"id": 3, "manufacturer": 1}}`,
		"numeric status value":   `{"id": 1, "status": {"value": 1, "label": "One"}}`,
		"platform as a bare id":  `{"id": 1, "platform": 2}`,
		"position as a number":   `{"id": 1, "position": 12}`,
		"timestamp with a zone":  `{"id": 1, "last_updated": "2025-06-12T14:03:27.123456+00:00"}`,
	} {
		t.Run(name, func(t *testing.T) { requireSameAsLenient(t, wrap(device)) })
	}
	// What the lenient decoder refuses, the fast one does not take.
	for name, device := range map[string]string{
		"status as a list":      `{"id": 1, "status": [1]}`,
		"bad timestamp":         `{"id": 1, "last_updated": "yesterday"}`,
		"family not a number":   `{"id": 1, "primary_ip4": {"id": 1, "family": "four", "address": "10.0.0.1/24"}}`,
		"position not a number": `{"id": 1, "position": "high"}`,
		"created a number":      `{"id": 1, "created": 5}`,
	} {
		t.Run(name, func(t *testing.T) { require.False(t, requireSameAsLenient(t, wrap(device))) })
	}
}
