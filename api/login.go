package api

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"
)

// loginPage is deliberately self-contained (no scripts, no external
// assets) so it works offline and under a strict Content-Security-Policy.
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>wugsync: log in</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f6f8;display:flex;justify-content:center;align-items:center;min-height:100vh;margin:0}
form{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15);width:22rem}
h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;margin-bottom:.4rem}
input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}.error{color:#b00020;margin:0 0 1rem}
</style></head><body>
<form method="post" action="/login">
<h1>wugsync</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<label for="token">API token (WUGSYNC_API_TOKEN)</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{{.Next}}">
<button type="submit">Log in</button>
</form></body></html>
`))

type loginData struct {
	Error string
	Next  string
}

func (s *Server) renderLogin(c *gin.Context, status int, data loginData) {
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
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
