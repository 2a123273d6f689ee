package wug

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

// Tests for mutants gremlins found alive in this package (RELIABILITY.md,
// "Mutation testing"): each fails if the line it names is mutated.

// rejected (batch.go) adds each part of WUG's answer only when WUG gave it:
// no empty ": ", "(failed: )" or "(not allowed: )".
func TestRejectedNamesOnlyWhatWUGReported(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Name: "lab-wug", BaseURL: "http://127.0.0.1:1", Username: "u", Password: "p"})
	require.NoError(t, err)
	req := request{op: OpDeleteDevices}
	for _, tc := range []struct {
		result BatchResult
		want   string
	}{
		{BatchResult{}, "WUG answered success:false"},
		{BatchResult{Errors: []string{"a", "b"}}, "WUG answered success:false: a; b"},
		{BatchResult{ResourcesWithErrors: []string{"7"}}, "WUG answered success:false (failed: 7)"},
		{BatchResult{ResourcesNotAllowed: []string{"8", "9"}}, "WUG answered success:false (not allowed: 8, 9)"},
	} {
		err := c.rejected(req, tc.result)
		require.ErrorIs(t, err, ErrRejected)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, tc.want, apiErr.Message)
	}
}

// A batch of no devices sends nothing (batch.go: start < len(ids)).
func TestEmptyBatchSendsNoRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	res, err := b.client.DeleteDevices(b.ctx(t), nil)
	require.NoError(t, err)
	require.True(t, res.Success)
	require.Zero(t, b.sim.CountRequests("*"))
}

// A failed attribute batch is an error, not a silent success
// (attributes.go: the callCounted error check).
func TestPatchAttributesReportsAServerError(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{"PATCH /api/v1/devices/{deviceId}/attributes/-": {ErrorRate: 1}}})
	id := b.seed(t, "a", "10.0.0.1")
	_, err := b.client.PatchAttributes(b.ctx(t), id, AttributeBatch{Add: []NameValue{{Name: "Contact", Value: "netops"}}})
	require.ErrorIs(t, err, ErrServerError)
}

// TLS options cannot be combined with a caller's own HTTP client
// (client.go), whichever option is set.
func TestTLSOptionsWithOwnHTTPClientAreRefused(t *testing.T) {
	t.Parallel()
	base := Config{Name: "lab-wug", BaseURL: "https://wug.example.net", Username: "u", Password: "p", HTTPClient: &http.Client{}}
	_, err := New(base)
	require.NoError(t, err, "an own client alone is fine")
	withCA := base
	withCA.CACertPEM = []byte("-----BEGIN CERTIFICATE-----")
	_, err = New(withCA)
	require.ErrorContains(t, err, "TLS options cannot be combined with a custom HTTPClient")
	insecure := base
	insecure.InsecureSkipVerify = true
	_, err = New(insecure)
	require.ErrorContains(t, err, "TLS options cannot be combined with a custom HTTPClient")
}

// A short-lived token is refreshed a fifth of its lifetime before it
// expires, not five minutes before (auth.go: lifetime/5): with a one-minute
// token, two calls a few seconds apart share one login.
func TestShortLivedTokenIsReusedUntilNearItsEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{TokenLifetime: time.Minute})
	_, err := b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)
	b.clock.Advance(10 * time.Second)
	_, err = b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)
	require.Equal(t, 1, b.sim.CountRequests(routeToken), "the token, 50 s from its end, is still used")
	b.clock.Advance(40 * time.Second)
	_, err = b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)
	require.Equal(t, 2, b.sim.CountRequests(routeToken), "10 s from its end, within the 12 s margin, it is renewed")
}

// An integer written as a float must fit comfortably in an int64
// (decode.go: math.MaxInt64/2).
func TestFlexIntRefusesHugeFloats(t *testing.T) {
	t.Parallel()
	var n flexInt
	require.NoError(t, json.Unmarshal([]byte(`4e18`), &n))
	require.EqualValues(t, 4_000_000_000_000_000_000, n)
	require.NoError(t, json.Unmarshal([]byte(`4.611686018427387904e18`), &n), "2^62 itself is allowed")
	require.EqualValues(t, int64(1)<<62, n)
	require.Error(t, json.Unmarshal([]byte(`5e18`), &n))
	require.Error(t, json.Unmarshal([]byte(`"-5e18"`), &n))
}

// CheckHost refuses a literal address in a denied network, in any of the
// spellings a host field takes, and leaves names to the dial-time check.
func TestCheckHostRefusesDeniedLiterals(t *testing.T) {
	t.Parallel()
	deny := DefaultDenyList()
	for _, host := range []string{"169.254.169.254", "[fe80::1]", "fd00:ec2::254", "::ffff:169.254.0.1"} {
		require.ErrorIs(t, deny.CheckHost(host), ErrAddressDenied, host)
	}
	for _, host := range []string{"wug.example.net", "10.0.0.1", "[2001:db8::1]", ""} {
		require.NoError(t, deny.CheckHost(host), host)
	}
}

// guard refuses a denied literal before the proxy is asked (the proxy
// would resolve and connect itself, past the dial-time check), passes
// everything else to the proxy, and means no proxy when there was none.
func TestGuardChecksBeforeTheProxy(t *testing.T) {
	t.Parallel()
	proxyURL, err := url.Parse("http://proxy.example.net:3128")
	require.NoError(t, err)
	var asked []string
	tr := &http.Transport{Proxy: func(r *http.Request) (*url.URL, error) {
		asked = append(asked, r.URL.Hostname())
		return proxyURL, nil
	}}
	DefaultDenyList().guard(tr)
	denied, err := http.NewRequest(http.MethodGet, "http://169.254.169.254/api", nil)
	require.NoError(t, err)
	_, err = tr.Proxy(denied)
	require.ErrorIs(t, err, ErrAddressDenied)
	require.Empty(t, asked, "the proxy never hears of a denied address")
	allowed, err := http.NewRequest(http.MethodGet, "https://wug.example.net:9644/api", nil)
	require.NoError(t, err)
	got, err := tr.Proxy(allowed)
	require.NoError(t, err)
	require.Equal(t, proxyURL, got)
	require.Equal(t, []string{"wug.example.net"}, asked)

	direct := &http.Transport{}
	DefaultDenyList().guard(direct)
	got, err = direct.Proxy(allowed)
	require.NoError(t, err)
	require.Nil(t, got, "no proxy before, no proxy after")
}
