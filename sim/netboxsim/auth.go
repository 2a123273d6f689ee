package netboxsim

import (
	"net/http"
	"strings"
)

// tokenInfo is what a token grants.
type tokenInfo struct {
	username string
	write    bool
	expired  bool
	// perms are the user's permissions; nil means a superuser's (all).
	perms map[string]bool
}

// can reports whether the token's user holds permission, e.g.
// "dcim.change_device".
func (t tokenInfo) can(permission string) bool {
	return t.perms == nil || t.perms[permission]
}

func buildTokens(opts Options, p profile) map[string]tokenInfo {
	tokens := map[string]tokenInfo{}
	full := opts.Tokens
	if len(full) == 0 {
		full = []string{DefaultToken}
		if p.v2Tokens {
			full = append(full, DefaultTokenV2)
		}
	}
	for _, t := range full {
		tokens[t] = tokenInfo{username: opts.Username, write: true}
	}
	for _, t := range opts.ReadOnlyTokens {
		tokens[t] = tokenInfo{username: opts.Username}
	}
	for t, perms := range opts.TokenPermissions {
		granted := make(map[string]bool, len(perms))
		for _, p := range perms {
			granted[p] = true
		}
		tokens[t] = tokenInfo{username: opts.Username, write: true, perms: granted}
	}
	for _, t := range opts.ExpiredTokens {
		tokens[t] = tokenInfo{username: opts.Username, expired: true}
	}
	return tokens
}

// authenticate reproduces DRF + NetBox token authentication (reference
// §1.2, §1.3). It returns the 403 detail when the request is refused. Every
// API path needs a token, because LOGIN_REQUIRED defaults to True.
func (s *Server) authenticate(r *http.Request) (tokenInfo, string) {
	const notProvided = "Authentication credentials were not provided."
	fields := strings.Fields(r.Header.Get("Authorization"))
	if len(fields) == 0 {
		return tokenInfo{}, notProvided
	}
	keyword := strings.ToLower(fields[0])
	switch {
	case keyword == "token":
	case keyword == "bearer" && s.profile.v2Tokens:
	default:
		// Before 4.5 "Bearer" is not a keyword: the request is anonymous.
		return tokenInfo{}, notProvided
	}
	switch {
	case len(fields) == 1:
		if s.profile.v2Tokens {
			return tokenInfo{}, `Invalid authorization header: Must be in the form "Bearer <key>.<token>" or "Token <token>"`
		}
		return tokenInfo{}, "Invalid token header. No credentials provided."
	case len(fields) > 2:
		if s.profile.v2Tokens {
			return tokenInfo{}, `Invalid authorization header: Must be in the form "Bearer <key>.<token>" or "Token <token>"`
		}
		return tokenInfo{}, "Invalid token header. Token string should not contain spaces."
	}
	token := fields[1]
	invalid := "Invalid token"
	if s.profile.v2Tokens {
		switch {
		case strings.HasPrefix(token, "nbt_"):
			if !strings.Contains(token, ".") {
				return tokenInfo{}, "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?"
			}
			invalid = "Invalid v2 token"
		case keyword == "bearer":
			return tokenInfo{}, "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?"
		default:
			invalid = "Invalid v1 token"
		}
	} else if strings.HasPrefix(token, "nbt_") {
		// v2 tokens do not exist before 4.5.
		return tokenInfo{}, invalid
	}
	info, ok := s.tokens[token]
	switch {
	case !ok:
		return tokenInfo{}, invalid
	case info.expired:
		return tokenInfo{}, "Token expired"
	}
	return info, ""
}
