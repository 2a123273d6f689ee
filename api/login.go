package api

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"
)

// loginStyle is the login page's stylesheet, in the dashboard's colours
// (light and dark). It is inline so the page needs no asset behind the
// login it provides; loginPolicy allows exactly this style by its hash.
const loginStyle = `
:root{color-scheme:light dark;--bg:#f6f7f9;--panel:#fff;--text:#1b1f24;--muted:#57606a;--border:#d0d7de;
--accent:#0b5cad;--focus:#e36209;--err-bg:#ffe1e0;--err-text:#a40e26;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;font-size:15px;line-height:1.4}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--panel:#161b22;--text:#e6edf3;--muted:#9ba6b1;--border:#30363d;
--accent:#2f81f7;--focus:#f0883e;--err-bg:#4a1219;--err-text:#ffa198}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;
background:var(--bg);color:var(--text);padding:1rem}
.login{width:min(24rem,100%);background:var(--panel);border:1px solid var(--border);border-radius:8px;padding:1.5rem 1.5rem 1.75rem}
.brand{display:flex;align-items:center;gap:.6rem;margin:0 0 .25rem}
.brand img{width:32px;height:32px}
h1{font-size:1.35rem;margin:0}
.tagline{margin:0 0 1.25rem;color:var(--muted)}
label{display:block;font-weight:600;margin-bottom:.35rem}
.help{color:var(--muted);font-size:.85rem;margin:.35rem 0 0}
input[type=password]{width:100%;font:inherit;padding:.5rem .6rem;border:1px solid var(--border);border-radius:6px;
background:var(--panel);color:var(--text)}
button{margin-top:1.25rem;width:100%;font:inherit;font-weight:600;padding:.55rem 1rem;border-radius:6px;
border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.error{background:var(--err-bg);color:var(--err-text);font-weight:600;border-radius:6px;padding:.5rem .75rem;margin:0 0 1rem}
`

// loginPolicy is the login page's Content-Security-Policy: no script at
// all, its one inline style, its icon, and a form that posts back here.
var loginPolicy = func() string {
	sum := sha256.Sum256([]byte(loginStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}()

// loginPage is deliberately self-contained (no scripts, no assets but the
// icon) so it works offline and under a strict Content-Security-Policy.
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · wugsync</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>{{.Style}}</style></head><body>
<main class="login">
<form method="post" action="/login">
<div class="brand"><img src="/favicon.svg" alt=""><h1>wugsync</h1></div>
<p class="tagline">NetBox → WhatsUp Gold</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<label for="token">API token</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus aria-describedby="token-help">
<p class="help" id="token-help">One of the tokens in WUGSYNC_API_TOKEN. The dashboard, the API reference and the queue monitor share this login.</p>
<input type="hidden" name="next" value="{{.Next}}">
<button type="submit">Log in</button>
</form></main></body></html>
`))

type loginData struct {
	Error string
	Next  string
	// Style is loginStyle, as trusted CSS.
	Style template.CSS
}

func (s *Server) renderLogin(c *gin.Context, status int, data loginData) {
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Content-Security-Policy", loginPolicy)
	c.Status(status)
	data.Style = template.CSS(loginStyle) // #nosec G203 -- a constant of this file, not input
	if err := loginPage.Execute(c.Writer, data); err != nil {
		s.requestLog(c).WithError(err).Error("render login page")
	}
}

// showLogin is GET /login.
func (s *Server) showLogin(c *gin.Context) {
	s.renderLogin(c, http.StatusOK, loginData{Next: safeNext(c.Query("next"))})
}

// login is POST /login: it checks the token, opens a session and sets its
// cookie (HttpOnly, SameSite=Strict, Secure over TLS).
func (s *Server) login(c *gin.Context) {
	tok := strings.TrimSpace(c.PostForm("token"))
	next := safeNext(c.PostForm("next"))
	switch {
	case tok == "":
		s.renderLogin(c, http.StatusUnauthorized, loginData{Error: "Enter the API token.", Next: next})
		return
	case !s.tokens.match(tok):
		s.requestLog(c).Warn("login with an invalid token")
		s.renderLogin(c, http.StatusForbidden, loginData{Error: "That token is not valid.", Next: next})
		return
	}
	id, err := s.sessions.create(c.Request.Context(), tok)
	if err != nil {
		s.requestLog(c).WithError(err).Error("open session")
		s.renderLogin(c, http.StatusServiceUnavailable, loginData{Error: "Sessions are unavailable (Redis); try again.", Next: next})
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: id, Path: "/", MaxAge: int(SessionTTL.Seconds()), Expires: s.p.Now().Add(SessionTTL),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isTLS(c.Request),
	})
	c.Redirect(http.StatusSeeOther, next)
}

// logout is POST /logout: it ends the session and clears the cookie.
func (s *Server) logout(c *gin.Context) {
	if id, err := c.Cookie(SessionCookie); err == nil && id != "" {
		if err := s.sessions.end(c.Request.Context(), id); err != nil {
			s.requestLog(c).WithError(err).Warn("end session")
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isTLS(c.Request),
	})
	c.Redirect(http.StatusSeeOther, "/login")
}

// defaultNext is where a login lands without a usable next.
const defaultNext = "/dashboard/"

// safeNext keeps a post-login redirect on this site. It parses next and
// accepts only a path on this origin: no scheme, host or user info, no
// leading "//" or "/\" (browsers read both as another host), and no
// backslash or control character, raw or percent-encoded (browsers drop a
// tab or a line break, which turns "/\t/evil.example" into
// "//evil.example"). Anything else lands on the dashboard.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(next, "/") || strings.HasPrefix(u.Path, "//") {
		return defaultNext
	}
	decoded, err := url.PathUnescape(next)
	if err != nil {
		return defaultNext
	}
	for _, s := range []string{next, decoded} {
		if strings.HasPrefix(s, "//") || strings.ContainsRune(s, '\\') || strings.IndexFunc(s, unicode.IsControl) >= 0 {
			return defaultNext
		}
	}
	return u.String()
}

// isTLS reports whether the client reached us over TLS, directly or
// through a proxy that says so; it only makes the cookie stricter.
func isTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
