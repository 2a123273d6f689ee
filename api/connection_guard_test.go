package api

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/wug"
)

// TestMetadataAddressesAreRefused: a connection's host may not be a
// link-local or cloud-metadata address, on create or PATCH.
func TestMetadataAddressesAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, host := range []string{"169.254.169.254", "http://169.254.169.254:80/", "[fe80::1]:9644", "fd00:ec2::254",
		"::ffff:169.254.169.254"} {
		r := b.call(t, http.MethodPost, "/api/v1/connections", map[string]any{"name": "meta", "host": host,
			"username": "admin", "password": "pw"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", host, r.Body)
		require.Contains(t, r.errorOf(t)["fields"], "host", host)
		require.Contains(t, r.errorOf(t)["message"], "WUGSYNC_CONNECTION_DENY")
	}
	id := b.createConnection(t, "lab", nil)
	r := b.call(t, http.MethodPatch, path("/api/v1/connections/%d", id), map[string]any{"host": "169.254.169.254", "password": "pw"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	require.Contains(t, r.errorOf(t)["fields"], "host")
}

// TestConnectionTestChecksTheResolvedAddress: a host name is checked once
// it resolves, so a name pointing into a denied network is refused before
// a byte is sent. The deny list here holds loopback, where the simulator
// listens, and the connection names it "localhost".
func TestConnectionTestChecksTheResolvedAddress(t *testing.T) {
	t.Parallel()
	deny := wug.NewDenyList([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	b := setup(t, func(p *Params) { p.ConnectionDeny = &deny })
	sim := wugsim.New(wugsim.Options{})
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	u, err := url.Parse(ts.URL)
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(u.Host)
	require.NoError(t, err)

	id := b.connectionTo(t, "named", "http://localhost:"+port, nil)
	got := b.probe(t, id)
	require.Equal(t, false, got["ok"])
	require.Equal(t, "denied", got["kind"], "%v", got)
	require.Contains(t, got["error"], "WUGSYNC_CONNECTION_DENY")
	require.Zero(t, sim.CountRequests("*"), "nothing reached the server")

	r := b.call(t, http.MethodPost, "/api/v1/connections", map[string]any{"name": "literal", "host": ts.URL,
		"username": "admin", "password": "pw"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "a literal address is refused when stored: %s", r.Body)
}

// TestConnectionTestEchoesOnlyWUGShapedErrors: whatever a target that is
// not WUG answers, the test says what kind of failure it was, never what
// the target sent; WUG's own JSON errors are quoted.
func TestConnectionTestEchoesOnlyWUGShapedErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const secret = "internal-banner-do-not-leak"
	targets := map[string]http.HandlerFunc{
		"html error": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("<html><body>" + secret + "</body></html>"))
		},
		"plain 200": func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("SSH-2.0-OpenSSH_9.6 " + secret))
		},
		"json that is not WUG's": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status": "` + secret + `"}`))
		},
		"forbidden page": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(secret))
		},
	}
	for name, h := range targets {
		// The target hands out a token as WUG would, then shows its page
		// on every other route.
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/token" {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"access_token": "t", "token_type": "bearer", "expires_in": 3600, "refresh_token": "r"}`))
				return
			}
			h(w, r)
		}))
		t.Cleanup(ts.Close)
		got := b.probe(t, b.connectionTo(t, "t-"+name, ts.URL, nil))
		require.Equal(t, false, got["ok"], name)
		require.NotContains(t, got["error"], secret, "%s: %v", name, got)
		require.NotEmpty(t, got["error"], name)
	}

	// A service that does not speak HTTP at all: Go's client would quote
	// its banner in the error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// Take the request, then answer with the banner and close:
			// a banner sent before the request reaches Go's client as an
			// unsolicited answer on an idle connection, which it reports
			// without the text this test is about.
			if req, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
				_, _ = io.Copy(io.Discard, req.Body)
			}
			_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.6 " + secret + "\r\n"))
			_ = c.Close()
		}
	}()
	got := b.probe(t, b.connectionTo(t, "banner", "http://"+ln.Addr().String(), nil))
	require.Equal(t, false, got["ok"])
	require.NotContains(t, got["error"], secret, "%v", got)
	require.NotContains(t, got["error"], "SSH", "%v", got)
	require.Contains(t, got["error"], "not HTTP", "%v", got)

	// WUG's own error body is WUG-shaped and is quoted, cleaned.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error": "invalid_grant", "error_description": "The user name or\u0000 password is incorrect."}`))
	}))
	t.Cleanup(ts.Close)
	got = b.probe(t, b.connectionTo(t, "wug-says-no", ts.URL, nil))
	require.Equal(t, "bad_credentials", got["kind"], "%v", got)
	require.Equal(t, "HTTP 400 Bad Request: invalid_grant: The user name or password is incorrect.", got["error"])
}
