package wug

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestFaultsBecomeTypedErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		fault      wugsim.Fault
		timeout    time.Duration
		kind       error
		status     int
		retryAfter time.Duration
	}{
		{"500 is a server error", wugsim.Fault{ErrorRate: 1}, 0, ErrServerError, 500, 0},
		{"429 carries Retry-After", wugsim.Fault{RateLimitRate: 1, RetryAfter: 7 * time.Second}, 0, ErrRateLimited, 429, 7 * time.Second},
		{"503 without Retry-After gets the default", wugsim.Fault{UnavailableRate: 1}, 0, ErrRateLimited, 503, DefaultRetryAfter},
		{"malformed body is a protocol error", wugsim.Fault{MalformedRate: 1}, 0, ErrProtocol, 200, 0},
		{"no answer is unavailable", wugsim.Fault{TimeoutRate: 1}, 100 * time.Millisecond, ErrUnavailable, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{routeVersion: tc.fault}}, func(c *Config) {
				if tc.timeout > 0 {
					c.Timeout = tc.timeout
				}
			})
			_, err := b.client.ProductVersion(b.ctx(t))
			require.ErrorIs(t, err, tc.kind)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tc.status, apiErr.StatusCode)
			require.Equal(t, tc.retryAfter, apiErr.RetryAfter)
			require.Equal(t, OpProductVersion, apiErr.Op)
			require.Contains(t, err.Error(), `wug "lab-wug" (`+b.srv.URL+`): product_version: `)
			for _, other := range []error{ErrServerError, ErrRateLimited, ErrProtocol, ErrUnavailable, ErrNotFound, ErrBadCredentials} {
				if other != tc.kind {
					require.NotErrorIs(t, err, other)
				}
			}
			require.Equal(t, 1, b.sim.CountRequests(routeVersion), "the client never retries by itself")
		})
	}
}

func TestTimeoutUnwrapsToDeadlineExceeded(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{routeVersion: {TimeoutRate: 1}}}, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	_, err := b.client.ProductVersion(b.ctx(t))
	require.ErrorIs(t, err, ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "no answer within 50ms")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.True(t, apiErr.Temporary())
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Name: "gone", BaseURL: "http://127.0.0.1:1", Username: "u", Password: "p", Timeout: time.Second})
	require.NoError(t, err)
	_, err = c.ProductVersion(t.Context())
	require.ErrorIs(t, err, ErrUnavailable)
	require.Contains(t, err.Error(), `wug "gone" (http://127.0.0.1:1): token: `)
}

func TestHTTPStatusesMapToSentinels(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	_, err := b.client.GetDevice(b.ctx(t), "424242")
	require.ErrorIs(t, err, ErrNotFound)
	require.Contains(t, err.Error(), "get_device: HTTP 404: Device \"424242\" was not found.")

	_, err = b.client.CreateChildGroup(b.ctx(t), RootGroupID, "Discovered Devices", "")
	require.ErrorIs(t, err, ErrRejected, "a duplicate name under one parent is refused")

	for status, kind := range map[int]error{400: ErrRejected, 403: ErrForbidden, 404: ErrNotFound, 405: ErrRejected,
		409: ErrRejected, 429: ErrRateLimited, 500: ErrServerError, 502: ErrServerError, 503: ErrRateLimited, 302: ErrProtocol} {
		require.Equal(t, kind, kindForStatus(status), "status %d", status)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)
	require.Equal(t, 120*time.Second, parseRetryAfter("120", now))
	require.Equal(t, 1500*time.Millisecond, parseRetryAfter("1.5", now))
	require.Equal(t, 30*time.Second, parseRetryAfter("Sun, 08 Mar 2026 12:00:30 GMT", now))
	require.Equal(t, time.Duration(0), parseRetryAfter("Sun, 08 Mar 2026 11:00:00 GMT", now), "a date in the past means now")
	require.Equal(t, DefaultRetryAfter, parseRetryAfter("", now))
	require.Equal(t, DefaultRetryAfter, parseRetryAfter("soon", now))
}

func TestParseErrorBodyShapes(t *testing.T) {
	t.Parallel()
	cases := map[string][2]string{
		`{"error":{"status":404,"code":"NotFound","message":"gone"}}`: {"NotFound", "gone"},
		`{"error":"invalid_grant","error_description":"bad"}`:         {"invalid_grant", "bad"},
		`{"Message":"No HTTP resource was found"}`:                    {"", "No HTTP resource was found"},
		`<html>oops</html>`: {"", ""},
	}
	for body, want := range cases {
		code, msg := parseErrorBody([]byte(body))
		require.Equal(t, want, [2]string{code, msg}, body)
	}
}

// countingLimiter records every operation it admits and can refuse.
type countingLimiter struct {
	mu       sync.Mutex
	ops      []string
	inFlight int
	maxSeen  int
	refuse   error
}

func (l *countingLimiter) Acquire(_ context.Context, op string) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refuse != nil {
		return nil, l.refuse
	}
	l.ops = append(l.ops, op)
	l.inFlight++
	l.maxSeen = max(l.maxSeen, l.inFlight)
	return func() {
		l.mu.Lock()
		l.inFlight--
		l.mu.Unlock()
	}, nil
}

func TestLimiterGatesEveryRequestIncludingTokens(t *testing.T) {
	t.Parallel()
	lim := &countingLimiter{}
	b := setup(t, wugsim.Options{}, func(c *Config) { c.Limiter = lim })
	b.seed(t, "a", "10.0.0.1")
	_, err := b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)
	_, err = b.client.FindDevicesByIP(b.ctx(t), "10.0.0.1")
	require.NoError(t, err)
	require.Equal(t, []string{OpToken, OpProductVersion, OpFindDevicesByIP}, lim.ops)
	require.Equal(t, 0, lim.inFlight, "every slot is released")
	require.Equal(t, 1, lim.maxSeen, "the token call does not hold a slot while the API call waits for one")
}

func TestLimiterRefusalIsReturnedUnchanged(t *testing.T) {
	t.Parallel()
	refused := errors.New("redis down")
	b := setup(t, wugsim.Options{}, func(c *Config) { c.Limiter = &countingLimiter{refuse: refused} })
	_, err := b.client.ProductVersion(b.ctx(t))
	require.ErrorIs(t, err, refused)
	require.Contains(t, err.Error(), "rate limiter")
	require.Zero(t, b.sim.CountRequests("*"), "nothing reaches WUG")
}

func TestObserverSeesEveryExchange(t *testing.T) {
	t.Parallel()
	// The observer only records; the test goroutine asserts afterwards.
	type seen struct {
		op     string
		d      time.Duration
		err    error
		served int // requests the simulator had received when the observer ran
	}
	var mu sync.Mutex
	var calls []seen
	var b *testBundle
	b = setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{"GET /api/v1/devices/{deviceId}": {ErrorRate: 1}}}, func(c *Config) {
		c.Observer = func(op string, d time.Duration, err error) {
			served := b.sim.CountRequests("*")
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, seen{op, d, err, served})
		}
	})
	start := time.Now()
	_, err := b.client.GetDevice(b.ctx(t), "1")
	whole := time.Since(start)
	require.ErrorIs(t, err, ErrServerError)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, calls, 2)
	require.Equal(t, OpToken, calls[0].op)
	require.NoError(t, calls[0].err)
	require.Equal(t, OpGetDevice, calls[1].op)
	require.ErrorIs(t, calls[1].err, ErrServerError)
	for i, c := range calls {
		// Each observation follows its own exchange: the simulator has
		// already received that request.
		require.Equal(t, i+1, c.served, "observer %d ran before its exchange reached WUG", i)
		// The duration is that of one exchange: positive, and within the
		// call that made it (both measured on the monotonic clock).
		require.Positive(t, c.d, c.op)
		require.LessOrEqual(t, c.d, whole, c.op)
	}
	require.LessOrEqual(t, calls[0].d+calls[1].d, whole, "the two exchanges do not overlap")
}

func TestBadInputIsRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	ctx := b.ctx(t)
	checks := map[string]error{}
	_, checks["find: bad ip"] = b.client.FindDevicesByIP(ctx, "10.0.0")
	_, checks["get: empty id"] = b.client.GetDevice(ctx, " ")
	checks["list: empty group"] = b.client.ListDevices(ctx, "", func([]DeviceOverview) error { return nil })
	_, checks["scan: no targets"] = b.client.StartNewDeviceScan(ctx, "0", nil, ScanOptions{})
	_, checks["delete: empty id in list"] = b.client.DeleteDevices(ctx, []string{"1", ""})
	checks["rename: empty"] = b.client.UpdateDeviceProperties(ctx, "1", DevicePropertiesUpdate{DisplayName: new(string)})
	_, checks["interface: bad address"] = b.client.UpdateInterface(ctx, "1", Interface{ID: "1", Address: "nope"})
	_, checks["attributes: nameless"] = b.client.PatchAttributes(ctx, "1", AttributeBatch{Add: []NameValue{{Value: "x"}}})
	_, checks["group: no name"] = b.client.CreateChildGroup(ctx, "0", " ", "")
	_, checks["templates: no id"] = b.client.ApplyTemplates(ctx, []DeviceTemplate{{DisplayName: "x"}})
	_, checks["templates: duplicate id"] = b.client.ApplyTemplates(ctx, []DeviceTemplate{template("a", "x", "10.0.0.1"), template("a", "y", "10.0.0.2")})
	for name, err := range checks {
		require.ErrorIs(t, err, ErrInvalidInput, name)
		require.Contains(t, err.Error(), `wug "lab-wug"`, name)
	}
	require.Zero(t, b.sim.CountRequests("*"), "no request was sent, not even a login")
}

func TestRejectedBatchReportsWhatFailed(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	id := b.seed(t, "a", "10.0.0.1")
	res, err := b.client.DeleteDevices(b.ctx(t), []string{id, "9999"})
	require.ErrorIs(t, err, ErrRejected)
	require.Equal(t, 1, res.Successful)
	require.False(t, res.Success)
	require.Equal(t, []string{"9999"}, res.ResourcesWithErrors)
	require.Contains(t, err.Error(), "Device 9999 was not found.")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusOK, apiErr.StatusCode, "WUG said no inside a 200")
}
