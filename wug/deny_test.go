package wug

import (
	"net"
	"net/netip"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestDefaultDenyListRefusesMetadataAddresses(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"http://169.254.169.254", "https://[fe80::1]:9644", "http://[fd00:ec2::254]",
		"http://[::ffff:169.254.169.254]:80"} {
		client, err := New(Config{Name: "meta", BaseURL: base, Username: "u", Password: "p"})
		require.NoError(t, err)
		_, err = client.ProductVersion(t.Context())
		require.ErrorIs(t, err, ErrAddressDenied, base)
		var denied *DeniedAddressError
		require.ErrorAs(t, err, &denied)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.False(t, apiErr.Temporary(), "only a configuration change helps")
	}
	for _, ok := range []string{"10.0.0.1", "127.0.0.1", "::1", "2001:db8::1", "169.255.0.1"} {
		require.NoError(t, DefaultDenyList().Check(netip.MustParseAddr(ok)), ok)
	}
}

// TestDenyListIsCheckedAfterResolution: a host name is refused when it
// resolves into a denied network, before any byte is sent.
func TestDenyListIsCheckedAfterResolution(t *testing.T) {
	t.Parallel()
	loopback := NewDenyList([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	b := setup(t, wugsim.Options{}, func(c *Config) {
		u, err := url.Parse(c.BaseURL)
		require.NoError(t, err)
		_, port, err := net.SplitHostPort(u.Host)
		require.NoError(t, err)
		c.BaseURL = "http://localhost:" + port // a name: only its resolution is in the list
		c.Deny = &loopback
	})
	_, err := b.client.ProductVersion(b.ctx(t))
	require.ErrorIs(t, err, ErrAddressDenied)
	require.ErrorIs(t, err, ErrUnavailable)
	require.Zero(t, b.sim.CountRequests("*"), "nothing reached the server")
}

// TestProcessDenyListAppliesToClientsWithoutOne: the process setting
// reaches clients built elsewhere (the workers) without their help.
func TestProcessDenyListAppliesToClientsWithoutOne(t *testing.T) {
	// Not parallel: it changes the process default.
	loopback := NewDenyList([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	SetDefaultDenyList(loopback)
	t.Cleanup(func() { SetDefaultDenyList(DefaultDenyList()) })
	b := setup(t, wugsim.Options{})
	_, err := b.client.ProductVersion(b.ctx(t))
	require.ErrorIs(t, err, ErrAddressDenied)
	require.Zero(t, b.sim.CountRequests("*"))

	none := NewDenyList(nil)
	allowed := setup(t, wugsim.Options{}, func(c *Config) { c.Deny = &none })
	_, err = allowed.client.ProductVersion(allowed.ctx(t))
	require.NoError(t, err, "an explicit list wins over the process default")
}
