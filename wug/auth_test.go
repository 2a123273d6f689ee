package wug

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestClientLogsInOnceForManyCalls(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	for range 5 {
		_, err := b.client.ProductVersion(b.ctx(t))
		require.NoError(t, err)
	}
	require.Equal(t, map[string]int{"password": 1}, b.sim.TokenGrants())
	require.Equal(t, 5, b.sim.CountRequests(routeVersion))
}

func TestClientSendsFormEncodedPasswordGrant(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body string
	srv := newRecordingServer(t, func(r *http.Request, b string) { got, body = r, b })
	c, err := New(Config{Name: "rec", BaseURL: srv.URL, Username: "admin", Password: "p@ssw0rd"})
	require.NoError(t, err)
	_, err = c.ProductVersion(t.Context())
	require.NoError(t, err)
	require.Equal(t, "application/x-www-form-urlencoded", got.Header.Get("Content-Type"))
	// The same form as fixture F1 (field order is not significant).
	requireSameForm(t, readFixture(t, "f01_token_request.txt"), body)
}

func TestBadCredentialsAreTypedAndNeverEchoThePassword(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{}, func(c *Config) { c.Password = "wrong-password" })
	_, err := b.client.ProductVersion(b.ctx(t))
	require.ErrorIs(t, err, ErrBadCredentials)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	require.Equal(t, "invalid_grant", apiErr.Code)
	require.Equal(t, OpToken, apiErr.Op)
	require.Contains(t, err.Error(), `wug "lab-wug" (`+b.srv.URL+`): token: HTTP 400`)
	require.NotContains(t, err.Error(), "wrong-password")
	require.False(t, apiErr.Temporary())
	require.Zero(t, b.sim.CountRequests(routeVersion), "no API call without a token")
}

func TestExpiredTokenIsRefreshedOnceAndTheCallRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	_, err := b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)

	b.sim.ExpireTokens()
	_, err = b.client.ProductVersion(b.ctx(t))

	require.NoError(t, err)
	require.Equal(t, []int{200, 401, 200}, routeLog(b.sim, routeVersion))
	require.Equal(t, map[string]int{"password": 1, "refresh_token": 1}, b.sim.TokenGrants())
}

func TestFailedRefreshFallsBackToPasswordGrant(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	_, err := b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)

	b.sim.Reset() // forgets every access and refresh token (and the request log)
	_, err = b.client.ProductVersion(b.ctx(t))

	require.NoError(t, err)
	require.Equal(t, []int{400, 200}, routeLog(b.sim, routeToken), "refused refresh, then password grant")
	require.Equal(t, map[string]int{"password": 1}, b.sim.TokenGrants())
	require.Equal(t, []int{401, 200}, routeLog(b.sim, routeVersion))
}

func TestTokenIsRenewedBeforeItExpires(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{TokenLifetime: time.Hour})
	_, err := b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)

	b.clock.Advance(50 * time.Minute) // still well before renewal (55 min)
	_, err = b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)
	require.Equal(t, map[string]int{"password": 1}, b.sim.TokenGrants())

	b.clock.Advance(6 * time.Minute) // within five minutes of expiry
	_, err = b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)
	require.Equal(t, map[string]int{"password": 1, "refresh_token": 1}, b.sim.TokenGrants())
	require.Equal(t, []int{200, 200, 200}, routeLog(b.sim, routeVersion), "renewed proactively, never a 401")
}

func TestPersistent401IsBadCredentialsAfterOneRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{routeVersion: {ExpireTokenRate: 1}}})
	_, err := b.client.ProductVersion(b.ctx(t))

	require.ErrorIs(t, err, ErrBadCredentials)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	require.Equal(t, []int{401, 401}, routeLog(b.sim, routeVersion), "one retry, not a loop")
}

func TestConcurrentCallsShareOneLoginAndOneRefresh(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	const workers = 50
	run := func() []error {
		var wg sync.WaitGroup
		errs := make([]error, workers)
		for i := range workers {
			wg.Go(func() {
				_, errs[i] = b.client.ProductVersion(b.ctx(t))
			})
		}
		wg.Wait()
		return errs
	}
	for _, err := range run() {
		require.NoError(t, err)
	}
	require.Equal(t, map[string]int{"password": 1}, b.sim.TokenGrants(), "one login for 50 first calls")

	b.sim.ExpireTokens()
	for _, err := range run() {
		require.NoError(t, err)
	}
	require.Equal(t, map[string]int{"password": 1, "refresh_token": 1}, b.sim.TokenGrants(), "one refresh for 50 401s")
}

func TestTokenIsNeverInErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{routeToken: {MalformedRate: 1}}})
	_, err := b.client.ProductVersion(b.ctx(t))
	require.ErrorIs(t, err, ErrProtocol)
	require.NotContains(t, err.Error(), "devi", "token answers are never quoted")
	require.NotContains(t, err.Error(), testPassword)
}

func TestCallerCancellationIsReturnedAsSuch(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := b.client.ProductVersion(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ErrUnavailable, "our own cancellation is not the server's fault")

	_, err = b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err, "a later caller logs in normally")
}

func TestFailedEarlyRenewalKeepsUsingTheValidToken(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{TokenLifetime: time.Hour})
	_, err := b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)

	require.NoError(t, b.sim.SetFaults(routeToken, wugsim.Fault{ErrorRate: 1}))
	b.clock.Advance(56 * time.Minute) // due for renewal, not yet expired
	_, err = b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err, "the current token still works")
	require.Equal(t, []int{200, 500, 500}, routeLog(b.sim, routeToken), "refresh and password grant were both tried")

	b.clock.Advance(5 * time.Minute) // now expired for real
	_, err = b.client.ProductVersion(b.ctx(t))
	require.ErrorIs(t, err, ErrServerError)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, OpToken, apiErr.Op)
}
