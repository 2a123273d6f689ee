package wugsim

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// handleToken is POST /api/v1/token. The body is read as a form whatever the Content-Type,
// because real clients (WhatsUpGoldPS, the seed) send a form body labelled application/json.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "The request body could not be read."))
		return
	}
	form, err := url.ParseQuery(strings.TrimSpace(string(raw)))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "The request body is not a form."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var user string
	grantType := form.Get("grant_type")
	switch grantType {
	case "password":
		u, p := form.Get("username"), form.Get("password")
		want, ok := s.users[u]
		if !ok || want != p || p == "" {
			writeJSON(w, http.StatusBadRequest, oauthError("invalid_grant", "Invalid username/password or not allowed to sign on from this location."))
			return
		}
		user = u
	case "refresh_token":
		// Refresh tokens are single use: each grant rotates them.
		rt := form.Get("refresh_token")
		u, ok := s.st.refresh[rt]
		if !ok {
			writeJSON(w, http.StatusBadRequest, oauthError("invalid_grant", "Invalid refresh token."))
			return
		}
		delete(s.st.refresh, rt)
		user = u
	case "":
		writeJSON(w, http.StatusBadRequest, oauthError("unsupported_grant_type", "grant_type is required."))
		return
	default:
		writeJSON(w, http.StatusBadRequest, oauthError("unsupported_grant_type", "The grant type is not supported."))
		return
	}
	access, refresh := newSecret(), newSecret()
	s.st.access[access] = accessToken{user: user, expires: s.now().Add(s.lifetime)}
	s.st.refresh[refresh] = user
	s.st.grants[grantType]++
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  access,
		"token_type":    "bearer",
		"expires_in":    int(s.lifetime.Seconds()),
		"refresh_token": refresh,
	})
}

func oauthError(code, description string) map[string]string {
	return map[string]string{"error": code, "error_description": description}
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authorize checks "Authorization: Bearer <token>" (scheme in any case) and answers 401 when
// it is missing, unknown or expired.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	scheme, tok, found := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	tok = strings.TrimSpace(tok)
	if found && strings.EqualFold(scheme, "bearer") && tok != "" {
		s.mu.Lock()
		at, ok := s.st.access[tok]
		if ok && !s.now().Before(at.expires) {
			delete(s.st.access, tok)
			ok = false
		}
		s.mu.Unlock()
		if ok {
			return true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer`)
	writeError(w, http.StatusUnauthorized, "Authorization has been denied for this request.")
	return false
}
