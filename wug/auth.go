package wug

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxRefreshMargin is how long before expiry a token is renewed, as WhatsUpGoldPS does; short
// lifetimes renew at four fifths of their life instead.
const maxRefreshMargin = 5 * time.Minute

// tokenPath is the OAuth2 token route.
const tokenPath = "/api/v1/token"

// token is one OAuth2 grant. Its fields are read and written under tokenSource.mu.
type token struct {
	access    string
	refresh   string
	renewAt   time.Time // renew from here on
	expiresAt time.Time // WUG stops accepting it here
	rejected  bool      // WUG answered 401 to it
}

// tokenSource owns the connection's token. Renewals are single-flight: however many
// goroutines find the token stale at once, one of them talks to the token route and the
// others wait for its result.
type tokenSource struct {
	client   *Client
	username string
	password string

	mu     sync.Mutex
	tok    *token
	flight *tokenFlight
}

type tokenFlight struct {
	done chan struct{}
	err  error
}

// token returns an access token that is not due for renewal, logging in or refreshing first
// when needed.
func (ts *tokenSource) token(ctx context.Context) (string, error) {
	for {
		ts.mu.Lock()
		if ts.tok != nil && ts.client.now().Before(ts.tok.renewAt) {
			access := ts.tok.access
			ts.mu.Unlock()
			return access, nil
		}
		if f := ts.flight; f != nil {
			ts.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			// The leader may have failed only because its own context ended; then this
			// caller, whose context is still alive, tries itself.
			if f.err != nil && !isContextError(f.err) {
				return "", f.err
			}
			continue
		}
		f := &tokenFlight{done: make(chan struct{})}
		ts.flight = f
		stale := ts.tok
		ts.mu.Unlock()

		fresh, err := ts.renew(ctx, stale)

		ts.mu.Lock()
		// A renewal a few minutes early may fail (WUG busy, token route throttled) while the
		// current token still works: keep using it rather than fail the call.
		stillValid := stale != nil && !stale.rejected && ts.client.now().Before(stale.expiresAt)
		switch {
		case err == nil:
			ts.tok = fresh
		case stillValid && !isContextError(err):
			fresh, err = stale, nil
		}
		ts.flight = nil
		f.err = err
		ts.mu.Unlock()
		close(f.done)
		if err != nil {
			return "", err
		}
		return fresh.access, nil
	}
}

// invalidate forgets access after the server rejected it with 401, unless another goroutine
// has already replaced it. The refresh token is kept for the renewal.
func (ts *tokenSource) invalidate(access string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.tok != nil && ts.tok.access == access {
		ts.tok.renewAt = time.Time{}
		ts.tok.rejected = true
	}
}

// renew refreshes stale when it has a refresh token, and falls back to the password grant
// when there is none or the refresh is refused.
func (ts *tokenSource) renew(ctx context.Context, stale *token) (*token, error) {
	if stale != nil && stale.refresh != "" {
		fresh, err := ts.grant(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {stale.refresh}})
		if err == nil || isContextError(err) {
			return fresh, err
		}
	}
	return ts.grant(ctx, url.Values{"grant_type": {"password"}, "username": {ts.username}, "password": {ts.password}})
}

// wireToken is the OAuth2 token answer.
type wireToken struct {
	AccessToken  string     `json:"access_token"`
	TokenType    string     `json:"token_type"`
	ExpiresIn    flexInt    `json:"expires_in"`
	RefreshToken flexString `json:"refresh_token"`
}

func (ts *tokenSource) grant(ctx context.Context, form url.Values) (*token, error) {
	c := ts.client
	req := request{op: OpToken, method: http.MethodPost, path: tokenPath, form: form}
	issued := c.now()
	body, err := c.exchange(ctx, req, []byte(form.Encode()), "")
	if err != nil {
		return nil, err
	}
	var wt wireToken
	if err := json.Unmarshal(body, &wt); err != nil {
		return nil, c.protocolError(req, nil, "decode token answer", err)
	}
	switch {
	case wt.AccessToken == "":
		return nil, c.protocolError(req, nil, "token answer has no access_token", nil)
	case wt.ExpiresIn <= 0:
		return nil, c.protocolError(req, nil, "token answer has no positive expires_in", nil)
	case wt.TokenType != "" && !strings.EqualFold(wt.TokenType, "bearer"):
		return nil, c.protocolError(req, nil, "token answer has token_type "+wt.TokenType+", want bearer", nil)
	}
	lifetime := time.Duration(wt.ExpiresIn) * time.Second
	margin := min(maxRefreshMargin, lifetime/5)
	return &token{
		access:    wt.AccessToken,
		refresh:   string(wt.RefreshToken),
		renewAt:   issued.Add(lifetime - margin),
		expiresAt: issued.Add(lifetime),
	}, nil
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || (errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrUnavailable))
}
