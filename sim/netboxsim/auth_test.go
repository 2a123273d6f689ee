package netboxsim_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestAuthenticationVariants(t *testing.T) {
	t.Parallel()
	const readOnly = "1111111111111111111111111111111111111111"
	const expired = "2222222222222222222222222222222222222222"
	opts := func(v string) netboxsim.Options {
		return netboxsim.Options{Version: v, Devices: 3, ReadOnlyTokens: []string{readOnly}, ExpiredTokens: []string{expired}}
	}
	cases := []struct {
		name    string
		version string
		method  string
		auth    string
		status  int
		detail  string
	}{
		{"no header", netboxsim.Version44, "GET", "", 403, "Authentication credentials were not provided."},
		{"unknown keyword", netboxsim.Version44, "GET", "Basic abc", 403, "Authentication credentials were not provided."},
		{"bearer is not a keyword before 4.5", netboxsim.Version44, "GET", "Bearer " + netboxsim.DefaultToken, 403, "Authentication credentials were not provided."},
		{"keyword without credentials", netboxsim.Version44, "GET", "Token", 403, "Invalid token header. No credentials provided."},
		{"spaces in token", netboxsim.Version44, "GET", "Token a b", 403, "Invalid token header. Token string should not contain spaces."},
		{"unknown token", netboxsim.Version44, "GET", "Token 0000000000000000000000000000000000000000", 403, "Invalid token"},
		{"expired token", netboxsim.Version44, "GET", "Token " + expired, 403, "Token expired"},
		{"keyword is case-insensitive", netboxsim.Version44, "GET", "token " + netboxsim.DefaultToken, 200, ""},
		{"read-only token reads", netboxsim.Version44, "GET", "Token " + readOnly, 200, ""},
		{"read-only token cannot write", netboxsim.Version44, "PATCH", "Token " + readOnly, 403, "You do not have permission to perform this action."},
		{"v1 unknown on 4.5", netboxsim.Version45, "GET", "Token 0000000000000000000000000000000000000000", 403, "Invalid v1 token"},
		{"v2 unknown on 4.5", netboxsim.Version45, "GET", "Bearer nbt_abcdefabcdef.secret", 403, "Invalid v2 token"},
		{"bearer with v1 key on 4.5", netboxsim.Version45, "GET", "Bearer " + netboxsim.DefaultToken, 403,
			"Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?"},
		{"v2 accepted on 4.5", netboxsim.Version45, "GET", "Bearer " + netboxsim.DefaultTokenV2, 200, ""},
		{"v1 still accepted on 4.5", netboxsim.Version45, "GET", "Token " + netboxsim.DefaultToken, 200, ""},
		{"v2 token rejected on 4.4", netboxsim.Version44, "GET", "Token " + netboxsim.DefaultTokenV2, 403, "Invalid token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, opts(tc.version))
			var payload any
			if tc.method == "PATCH" {
				payload = map[string]any{"description": "x"}
			}
			a := b.do(t, tc.method, "/api/dcim/devices/1/", payload, map[string]string{"Authorization": tc.auth})
			require.Equal(t, tc.status, a.status, string(a.raw))
			if tc.detail != "" {
				require.Equal(t, tc.detail, a.body["detail"])
				require.Empty(t, a.header.Get("WWW-Authenticate"), "session auth first: 403 without a challenge")
			}
		})
	}
}

func TestStatusNeedsAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{})
	require.Equal(t, 403, b.do(t, "GET", "/api/status/", nil, map[string]string{"Authorization": ""}).status)
	a := b.get(t, "/api/status/")
	require.Equal(t, 200, a.status)
	require.Equal(t, "4.4.9", a.body["netbox-version"])
}

func TestHeadersAndRouting(t *testing.T) {
	t.Parallel()
	for _, v := range []string{netboxsim.Version42, netboxsim.Version44, netboxsim.Version45} {
		b := setup(t, netboxsim.Options{Version: v, Devices: 3})
		a := b.get(t, "/api/dcim/devices/")
		require.Equal(t, v, a.header.Get("API-Version"))
		_, err := uuid.Parse(a.header.Get("X-Request-ID"))
		require.NoError(t, err)
		require.NotEqual(t, a.header.Get("X-Request-ID"), b.get(t, "/api/dcim/devices/").header.Get("X-Request-ID"))
	}
	b := setup(t, netboxsim.Options{Devices: 3})
	cases := []struct {
		name, method, path string
		headers            map[string]string
		status             int
		detail             string
	}{
		{"missing slash redirects", "GET", "/api/dcim/devices?limit=1", nil, http.StatusMovedPermanently, ""},
		{"unknown endpoint", "GET", "/api/dcim/cables/", nil, 404, "Not found."},
		{"unknown device", "GET", "/api/dcim/devices/999/", nil, 404, "No Device matches the given query."},
		{"non-numeric id", "GET", "/api/dcim/devices/abc/", nil, 404, "No Device matches the given query."},
		{"wrong method", "PATCH", "/api/status/", nil, 405, `Method "PATCH" not allowed.`},
		{"read-only endpoint", "DELETE", "/api/dcim/regions/1/", nil, 405, `Method "DELETE" not allowed.`},
		{"accept version mismatch", "GET", "/api/dcim/devices/", map[string]string{"Accept": "application/json; version=4.2"}, 406, `Invalid version in "Accept" header.`},
		{"accept version match", "GET", "/api/dcim/devices/", map[string]string{"Accept": "application/json; version=4.4"}, 200, ""},
	}
	for _, tc := range cases {
		a := b.do(t, tc.method, tc.path, nil, tc.headers)
		require.Equal(t, tc.status, a.status, tc.name)
		if tc.detail != "" {
			require.Equal(t, tc.detail, a.body["detail"], tc.name)
		}
		if tc.status == http.StatusMovedPermanently {
			require.Equal(t, "/api/dcim/devices/?limit=1", a.header.Get("Location"))
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]netboxsim.Options{
		"version":        {Version: "3.7"},
		"token":          {Tokens: []string{"has space"}},
		"devices":        {Devices: -1},
		"object type":    {WebhookObjectTypes: []string{"dcim.cable"}},
		"fault status":   {Faults: []netboxsim.FaultRule{{Status: 200}}},
		"fault no-op":    {Faults: []netboxsim.FaultRule{{PathPrefix: "/api/"}}},
		"fault chance":   {Faults: []netboxsim.FaultRule{{Status: 500, Probability: 2}}},
		"duplicate rate": {WebhookDuplicateEvery: -2},
	} {
		_, err := netboxsim.New(o)
		require.Error(t, err, name)
		require.Contains(t, err.Error(), "netboxsim", name)
	}
}
