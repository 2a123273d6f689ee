package wugtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wugsync/wugsync/wug"
)

func checkTokenRefresh(ctx context.Context, r *Runner) (string, error) {
	if _, err := r.client.ProductVersion(ctx); err != nil {
		return "", fmt.Errorf("first call: %w", err)
	}
	ctl := r.target.Controls
	grants := ctl.TokenGrants()
	tokens := r.count(wug.OpToken)
	calls := r.count(wug.OpProductVersion)
	ctl.ExpireTokens()
	if _, err := r.client.ProductVersion(ctx); err != nil {
		return "", fmt.Errorf("call after the token expired: %w", err)
	}
	after := ctl.TokenGrants()
	if got := after["refresh_token"] - grants["refresh_token"]; got != 1 {
		return "", fmt.Errorf("WUG issued %d tokens by refresh grant, want 1", got)
	}
	if got := after["password"] - grants["password"]; got != 0 {
		return "", fmt.Errorf("the client signed in again with the password (%d grants) instead of refreshing", got)
	}
	if got := r.count(wug.OpToken) - tokens; got != 1 {
		return "", fmt.Errorf("the client made %d token requests, want 1", got)
	}
	if got := r.count(wug.OpProductVersion) - calls; got != 2 {
		return "", fmt.Errorf("the client sent the call %d times, want 2 (the 401, then the retry)", got)
	}
	return "one 401, one refresh grant, one retry", nil
}

func checkBadCredentials(ctx context.Context, r *Runner) (string, error) {
	wrong := "wrong-" + randomHex(8)
	cfg := r.target.Config
	cfg.Password = wrong
	var tokens atomic.Int32
	cfg.Observer = func(op string, _ time.Duration, _ error) {
		if op == wug.OpToken {
			tokens.Add(1)
		}
	}
	client, err := wug.New(cfg)
	if err != nil {
		return "", fmt.Errorf("build a client with a wrong password: %w", err)
	}
	_, err = client.ProductVersion(ctx)
	switch {
	case err == nil:
		return "", errors.New("WUG accepted a wrong password, or the client never sent it")
	case !errors.Is(err, wug.ErrBadCredentials):
		return "", fmt.Errorf("a refused login gave %v, want ErrBadCredentials", err)
	case strings.Contains(err.Error(), wrong):
		return "", errors.New("the error holds the password")
	case tokens.Load() != 1:
		return "", fmt.Errorf("the client made %d token requests for one refused login, want 1", tokens.Load())
	}
	return "ErrBadCredentials after one token request, without the password: " + err.Error(), nil
}
