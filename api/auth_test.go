package api

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// concretePath fills a gin route's parameters with values that reach the
// handler.
func concretePath(ginPath string) string {
	p := regexp.MustCompile(`:[a-z_]+`).ReplaceAllString(ginPath, "1")
	return regexp.MustCompile(`\*[a-z_]+`).ReplaceAllString(p, "x")
}

// TestAuthMatrix sends every registered route no credentials, a malformed
// header and a wrong token, and checks who gets in.
func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t, func(p *Params) { p.MetricsToken = "metrics-token" })
	routes := b.srv.engine.Routes()
	require.NotEmpty(t, routes)
	access := map[string]access{}
	for _, r := range b.srv.routes {
		access[r.Method+" "+r.Path] = r.Access
	}
	for _, rt := range routes {
		a, ok := access[rt.Method+" "+rt.Path]
		require.True(t, ok, "%s %s is registered outside the route table", rt.Method, rt.Path)
		p := concretePath(rt.Path)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			none := b.call(t, rt.Method, p, nil, withoutAuth())
			malformed := b.call(t, rt.Method, p, nil, withAuth("Basic YWRtaW46YWRtaW4="))
			wrong := b.call(t, rt.Method, p, nil, withAuth("Token not-the-token"))
			wrongBearer := b.call(t, rt.Method, p, nil, withAuth("Bearer not-the-token"))
			switch a {
			case accessOpen:
				require.Equal(t, none.Status, wrong.Status, "credentials make no difference on an open route")
			case accessAPI, accessMetrics:
				require.Equal(t, http.StatusUnauthorized, none.Status, "%s", none.Body)
				require.Equal(t, CodeUnauthorized, none.errorOf(t)["code"])
				require.Equal(t, http.StatusUnauthorized, malformed.Status)
				require.Equal(t, http.StatusForbidden, wrong.Status, "%s", wrong.Body)
				require.Equal(t, CodeForbidden, wrong.errorOf(t)["code"])
				require.Equal(t, http.StatusForbidden, wrongBearer.Status)
			case accessBrowser:
				if rt.Method == http.MethodGet {
					require.Equal(t, http.StatusFound, none.Status)
					require.True(t, strings.HasPrefix(none.Header.Get("Location"), "/login?next="), none.Header.Get("Location"))
				} else {
					require.Equal(t, http.StatusUnauthorized, none.Status)
				}
				require.Equal(t, http.StatusForbidden, wrong.Status)
			case accessWebhook:
				require.Equal(t, http.StatusUnauthorized, none.Status, "no signature")
				require.Equal(t, http.StatusUnauthorized, wrong.Status, "an API token is no signature")
			}
		})
	}
}

func TestTokenAndBearerAreAccepted(t *testing.T) {
	t.Parallel()
	b := setup(t, func(p *Params) { p.APITokens = []string{"first-token", "second-token"} })
	for _, h := range []string{"Token first-token", "Bearer second-token", "token first-token", "BEARER  second-token"} {
		r := b.call(t, http.MethodGet, "/api/v1/connections", nil, withAuth(h))
		require.Equal(t, http.StatusOK, r.Status, h)
	}
	r := b.call(t, http.MethodGet, "/api/v1/connections", nil, withAuth("Token first-token-and-more"))
	require.Equal(t, http.StatusForbidden, r.Status, "a prefix of a token is not the token")
}

func TestNewRefusesWithoutToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.params
	p.APITokens = []string{" ", ""}
	_, err := New(p)
	require.ErrorContains(t, err, "WUGSYNC_API_TOKEN")
	p = b.params
	p.DB = nil
	_, err = New(p)
	require.ErrorContains(t, err, "DB")
}

// login posts the login form and returns the answer.
func (b *testBundle) login(t *testing.T, token, next string) reply {
	t.Helper()
	form := url.Values{"token": {token}, "next": {next}}
	return b.call(t, http.MethodPost, "/login", form.Encode(), withoutAuth(),
		withHeader("Content-Type", "application/x-www-form-urlencoded"))
}

func sessionCookie(t *testing.T, r reply) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", SessionCookie, r.Header)
	return nil
}

func TestLoginSessionCookie(t *testing.T) {
	t.Parallel()
	assets := fstest.MapFS{"index.html": {Data: []byte("<h1>dashboard</h1>")}}
	b := setup(t, func(p *Params) { p.Dashboard = http.FileServerFS(assets) })

	page := b.call(t, http.MethodGet, "/login?next=/monitoring/", nil, withoutAuth())
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, string(page.Body), `name="token"`)
	require.Contains(t, string(page.Body), `value="/monitoring/"`)

	require.Equal(t, http.StatusUnauthorized, b.login(t, "", "").Status)
	wrong := b.login(t, "wrong", "")
	require.Equal(t, http.StatusForbidden, wrong.Status)
	require.Contains(t, string(wrong.Body), "not valid")
	require.Empty(t, wrong.Header.Values("Set-Cookie"))

	ok := b.login(t, testToken, "//evil.example/")
	require.Equal(t, http.StatusSeeOther, ok.Status)
	require.Equal(t, "/dashboard/", ok.Header.Get("Location"), "an off-site next is ignored")
	cookie := sessionCookie(t, ok)
	require.True(t, cookie.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, cookie.SameSite)
	require.Equal(t, "/", cookie.Path)
	require.False(t, cookie.Secure, "plain HTTP test server")
	require.NotContains(t, cookie.Value, testToken)
	keys, err := b.redis.Client.Keys(t.Context(), "wugsync:session:*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.NotContains(t, keys[0], cookie.Value, "Redis holds a hash of the session id")

	t.Run("the cookie opens the API, the dashboard and asynqmon", func(t *testing.T) {
		r := b.call(t, http.MethodGet, "/api/v1/connections", nil, withCookie(cookie))
		require.Equal(t, http.StatusOK, r.Status)
		r = b.call(t, http.MethodGet, "/dashboard/", nil, withCookie(cookie))
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, string(r.Body), "<h1>dashboard</h1>")
		r = b.call(t, http.MethodGet, "/monitoring/", nil, withCookie(cookie))
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, strings.ToLower(string(r.Body)), "<html")
		r = b.call(t, http.MethodGet, "/monitoring/api/queues", nil, withCookie(cookie))
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, string(r.Body), "queues")
	})
	t.Run("changes need the same-origin header", func(t *testing.T) {
		body := map[string]any{"name": "lab", "host": "wug", "username": "u", "password": "p"}
		r := b.call(t, http.MethodPost, "/api/v1/connections", body, withCookie(cookie))
		require.Equal(t, http.StatusForbidden, r.Status)
		require.Contains(t, r.errorOf(t)["message"], CSRFHeader)
		r = b.call(t, http.MethodPost, "/api/v1/connections", body, withCookie(cookie),
			withHeader("Origin", "https://evil.example"))
		require.Equal(t, http.StatusForbidden, r.Status)
		r = b.call(t, http.MethodPost, "/monitoring/api/queues/default:pause", nil, withCookie(cookie))
		require.Equal(t, http.StatusForbidden, r.Status, "asynqmon's actions are guarded too")

		r = b.call(t, http.MethodPost, "/api/v1/connections", body, withCookie(cookie), withHeader(CSRFHeader, CSRFValue))
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		body["name"] = "lab2"
		r = b.call(t, http.MethodPost, "/api/v1/connections", body, withCookie(cookie),
			withHeader("Origin", b.http.URL))
		require.Equal(t, http.StatusCreated, r.Status, "a same-origin Origin is enough")
	})
	t.Run("logout ends the session", func(t *testing.T) {
		r := b.call(t, http.MethodPost, "/logout", nil, withCookie(cookie))
		require.Equal(t, http.StatusSeeOther, r.Status)
		require.Equal(t, "/login", r.Header.Get("Location"))
		require.Less(t, sessionCookie(t, r).MaxAge, 0)
		r = b.call(t, http.MethodGet, "/api/v1/connections", nil, withCookie(cookie))
		require.Equal(t, http.StatusUnauthorized, r.Status)
		r = b.call(t, http.MethodGet, "/dashboard/", nil, withCookie(cookie))
		require.Equal(t, http.StatusFound, r.Status)
	})
}

func TestSessionEndsWhenItsTokenIsRemoved(t *testing.T) {
	t.Parallel()
	b := setup(t, func(p *Params) { p.APITokens = []string{"old-token", "kept-token"} })
	cookie := sessionCookie(t, b.login(t, "old-token", ""))
	require.Equal(t, http.StatusOK, b.call(t, http.MethodGet, "/api/v1/connections", nil, withCookie(cookie)).Status)

	rotated := b.params
	rotated.APITokens = []string{"kept-token"}
	srv, err := New(rotated)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	b.srv = srv
	b.http.Config.Handler = srv
	r := b.call(t, http.MethodGet, "/api/v1/connections", nil, withCookie(cookie))
	require.Equal(t, http.StatusUnauthorized, r.Status)
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/monitoring/":         "/monitoring/",
		"/dashboard/#runs":     "/dashboard/#runs",
		"":                     "/dashboard/",
		"https://evil.example": "/dashboard/",
		"//evil.example":       "/dashboard/",
		"/\\evil.example":      "/dashboard/",
		"/ok\r\nSet-Cookie: x": "/dashboard/",
	} {
		require.Equal(t, want, safeNext(in), in)
	}
}

func TestUnauthenticatedBrowserIsSentToLogin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodGet, "/monitoring/", nil, withoutAuth())
	require.Equal(t, http.StatusFound, r.Status)
	require.Equal(t, "/login?next=%2Fmonitoring%2F", r.Header.Get("Location"))
	r = b.call(t, http.MethodGet, "/", nil, withoutAuth())
	require.Equal(t, http.StatusFound, r.Status)
	require.Equal(t, "/dashboard/", r.Header.Get("Location"))
	r = b.call(t, http.MethodGet, "/dashboard/", nil)
	require.Equal(t, http.StatusNotFound, r.Status, "no dashboard built in: 404, not a crash")
}
