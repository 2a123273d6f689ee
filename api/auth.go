package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// CSRFHeader and CSRFValue mark a request as sent by wugsync's own pages:
// a cross-site form cannot set a custom header, so a cookie-authenticated
// request that changes something must carry it (or a same-origin Origin).
const (
	CSRFHeader = "X-Requested-With"
	CSRFValue  = "wugsync"
)

// tokenSet holds the SHA-256 of each accepted token. Comparing fixed-size
// hashes in constant time, against every token without stopping early,
// leaks neither a token's content nor its length.
type tokenSet struct {
	hashes [][sha256.Size]byte
}

func newTokenSet(tokens []string) tokenSet {
	ts := tokenSet{}
	for _, t := range tokens {
		if t = strings.TrimSpace(t); t != "" {
			ts.hashes = append(ts.hashes, sha256.Sum256([]byte(t)))
		}
	}
	return ts
}

func (ts tokenSet) empty() bool { return len(ts.hashes) == 0 }

// match reports whether tok is one of the tokens, in constant time.
func (ts tokenSet) match(tok string) bool {
	h := sha256.Sum256([]byte(tok))
	return ts.matchHash(h)
}

func (ts tokenSet) matchHash(h [sha256.Size]byte) bool {
	found := 0
	for _, x := range ts.hashes {
		found |= subtle.ConstantTimeCompare(h[:], x[:])
	}
	return found == 1
}

// fingerprint names the token a session was opened with, so removing a
// token from WUGSYNC_API_TOKEN also ends the sessions it opened.
func fingerprint(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// matchFingerprint reports whether fp is the fingerprint of a current token.
func (ts tokenSet) matchFingerprint(fp string) bool {
	raw, err := hex.DecodeString(fp)
	if err != nil || len(raw) != sha256.Size {
		return false
	}
	return ts.matchHash([sha256.Size]byte(raw))
}

// errNoCredentials means the request carried neither a token nor a session.
var errNoCredentials = unauthorized("authentication required: send Authorization: Token <token> (or Bearer <token>), or log in at /login")

// headerToken returns the token of "Authorization: Token <t>" or
// "Bearer <t>"; present is false when there is no header at all.
func headerToken(r *http.Request) (tok string, present bool, err error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return "", false, nil
	}
	scheme, rest, _ := strings.Cut(h, " ")
	tok = strings.TrimSpace(rest)
	if (!strings.EqualFold(scheme, "Token") && !strings.EqualFold(scheme, "Bearer")) || tok == "" {
		return "", true, unauthorized("the Authorization header must be \"Token <token>\" or \"Bearer <token>\"")
	}
	return tok, true, nil
}

// identify authenticates a request by its Authorization header, else by
// its session cookie. A wrong token is 403; no credentials are 401.
func (s *Server) identify(c *gin.Context) error {
	tok, present, err := headerToken(c.Request)
	if err != nil {
		return err
	}
	if present {
		if !s.tokens.match(tok) {
			return forbidden("the API token is not valid")
		}
		return nil
	}
	id, err := c.Cookie(SessionCookie)
	if err != nil || id == "" {
		return errNoCredentials
	}
	ok, err := s.sessions.valid(c.Request.Context(), id, s.tokens)
	if err != nil {
		return unavailable("cannot check the session: %v", err)
	}
	if !ok {
		return unauthorized("the session has expired or was ended; log in again at /login")
	}
	if !safeMethod(c.Request.Method) && !sameOriginRequest(c.Request) {
		return forbidden("a cookie-authenticated request that changes something must send " + CSRFHeader + ": " + CSRFValue)
	}
	return nil
}

// requireAuth guards the JSON API; render writes a refusal in the
// route's error shape (v1 or seed).
func (s *Server) requireAuth(render func(*gin.Context, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.identify(c); err != nil {
			render(c, err)
			return
		}
		c.Next()
	}
}

// requireBrowserAuth guards the dashboard and asynqmon: like requireAuth,
// but a browser without credentials is sent to the login page.
func (s *Server) requireBrowserAuth(c *gin.Context) {
	err := s.identify(c)
	if err == nil {
		c.Next()
		return
	}
	var apiErr *Error
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized && safeMethod(c.Request.Method) {
		c.Redirect(http.StatusFound, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		c.Abort()
		return
	}
	s.writeError(c, err)
}

// requireMetricsAuth guards /metrics with WUGSYNC_METRICS_TOKEN when set.
func (s *Server) requireMetricsAuth(c *gin.Context) {
	if s.metricsToken.empty() {
		c.Next()
		return
	}
	tok, present, err := headerToken(c.Request)
	switch {
	case err != nil:
		s.writeError(c, err)
	case !present:
		s.writeError(c, unauthorized("send Authorization: Bearer <WUGSYNC_METRICS_TOKEN>"))
	case !s.metricsToken.match(tok):
		s.writeError(c, forbidden("the metrics token is not valid"))
	default:
		c.Next()
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOriginRequest accepts the CSRF header, or a browser's own statement
// that the request comes from this origin.
func sameOriginRequest(r *http.Request) bool {
	if r.Header.Get(CSRFHeader) == CSRFValue {
		return true
	}
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}
