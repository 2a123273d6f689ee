package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// offSiteNexts are post-login targets a browser would follow to another
// site, directly or after dropping a tab or line break, or after reading a
// backslash as a slash.
var offSiteNexts = []string{
	"/\t/evil.example/x",
	"/%09/evil.example/x",
	"/\n/evil.example",
	"/%0a/evil.example",
	"/\\evil.example",
	"/%5Cevil.example",
	"/%5C%5Cevil.example",
	"//evil.example",
	"/%2F/evil.example",
	"https://evil.example/",
	"HTTPS://evil.example/",
	"https:/evil.example",
	"//user@evil.example",
	"javascript:alert(1)",
	"evil.example",
	"\t/dashboard/",
	"/dashboard/\x00",
	"/ok\r\nSet-Cookie: x",
}

// TestLoginNeverRedirectsOffSite: the login redirect follows only a
// same-origin path, whatever the form's next holds.
func TestLoginNeverRedirectsOffSite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, next := range offSiteNexts {
		r := b.login(t, testToken, next)
		require.Equal(t, http.StatusSeeOther, r.Status, "%q", next)
		loc := r.Header.Get("Location")
		require.Equal(t, defaultNext, loc, "next %q", next)
	}
	for next, want := range map[string]string{
		"/monitoring/":                 "/monitoring/",
		"/dashboard/?run=3#plan":       "/dashboard/?run=3#plan",
		"/monitoring/queues/default":   "/monitoring/queues/default",
		"/dashboard/a%20b":             "/dashboard/a%20b",
		"/monitoring/?next=%2F%2Fx.io": "/monitoring/?next=%2F%2Fx.io",
	} {
		r := b.login(t, testToken, next)
		require.Equal(t, want, r.Header.Get("Location"), "next %q", next)
	}
}

// TestLoginPageNeverCarriesAnOffSiteNext: the form the login page renders
// posts back only a same-origin next; a control character in the query is
// refused outright.
func TestLoginPageNeverCarriesAnOffSiteNext(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, next := range offSiteNexts {
		r := b.call(t, http.MethodGet, "/login?next="+url.QueryEscape(next), nil, withoutAuth())
		if strings.IndexFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			require.Equal(t, http.StatusBadRequest, r.Status, "%q", next)
			require.Contains(t, r.errorOf(t)["fields"], "next")
			continue
		}
		require.Equal(t, http.StatusOK, r.Status, "%q", next)
		require.Contains(t, string(r.Body), `name="next" value="/dashboard/"`, "next %q", next)
	}
}
