package wugsim_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

const versionRoute = "GET /api/v1/product/version"

func statuses(t *testing.T, b *bundle, n int, path string) []int {
	t.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = b.call(t, http.MethodGet, path, "").status
	}
	return out
}

func TestFaultSharesAreDeterministic(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{versionRoute: {ErrorRate: 0.5}}})
	require.Equal(t, []int{200, 500, 200, 500, 200, 500}, statuses(t, b, 6, "/api/v1/product/version"))

	require.NoError(t, b.sim.SetFaults(versionRoute, wugsim.Fault{ErrorRate: 0.25}))
	require.Equal(t, []int{200, 200, 200, 500, 200, 200, 200, 500}, statuses(t, b, 8, "/api/v1/product/version"))

	require.NoError(t, b.sim.SetFaults(versionRoute, wugsim.Fault{ErrorRate: 1, Count: 2}))
	require.Equal(t, []int{500, 500, 200, 200}, statuses(t, b, 4, "/api/v1/product/version"), "fail the next N calls")

	require.NoError(t, b.sim.SetFaults(versionRoute, wugsim.Fault{}))
	require.Empty(t, b.sim.Faults(), "a zero fault removes the rule")
}

func TestFaultKindsAnswerAsDocumented(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	require.NoError(t, b.sim.SetFaults(versionRoute, wugsim.Fault{RateLimitRate: 1, RetryAfter: 1500 * time.Millisecond}))
	res := b.call(t, http.MethodGet, "/api/v1/product/version", "")
	require.Equal(t, http.StatusTooManyRequests, res.status)
	require.Equal(t, "2", res.header.Get("Retry-After"), "rounded up to whole seconds")

	require.NoError(t, b.sim.SetFaults(versionRoute, wugsim.Fault{UnavailableRate: 1}))
	res = b.call(t, http.MethodGet, "/api/v1/product/version", "")
	require.Equal(t, http.StatusServiceUnavailable, res.status)
	require.Empty(t, res.header.Get("Retry-After"))

	require.NoError(t, b.sim.SetFaults(versionRoute, wugsim.Fault{MalformedRate: 1}))
	res = b.call(t, http.MethodGet, "/api/v1/product/version", "")
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, `{"paging":{"size":1},"data":{"devi`, string(res.body))

	require.NoError(t, b.sim.SetFaults(versionRoute, wugsim.Fault{ExpireTokenRate: 1, Count: 1}))
	require.Equal(t, http.StatusUnauthorized, b.call(t, http.MethodGet, "/api/v1/product/version", "").status)
	require.Equal(t, http.StatusUnauthorized, b.call(t, http.MethodGet, "/api/v1/device-groups/-", "").status, "every token expired")

	log := b.sim.RequestLog()
	require.Equal(t, wugsim.FaultRateLimit, log[1].Fault) // log[0] is the login
	require.Equal(t, wugsim.FaultUnavailable, log[2].Fault)
	require.Equal(t, wugsim.FaultMalformed, log[3].Fault)
}

func TestFaultSelectorsPickTheMostSpecificRule(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{
		"*":                           {ErrorRate: 1},
		"GET /api/v1/device-groups/*": {RateLimitRate: 1},
		"/api/v1/product/version":     {UnavailableRate: 1},
		versionRoute:                  {MalformedRate: 1},
		"GET /api/v1/product/api":     {Latency: time.Nanosecond}, // a rule that lets requests through
		routeToken:                    {Latency: time.Nanosecond}, // so that setup can log in
	}})
	require.Equal(t, http.StatusOK, b.call(t, http.MethodGet, "/api/v1/product/version", "").status, "exact route name wins")
	require.Equal(t, http.StatusTooManyRequests, b.call(t, http.MethodGet, "/api/v1/device-groups/-", "").status, "prefix beats *")
	require.Equal(t, http.StatusInternalServerError, b.call(t, http.MethodGet, "/api/v1/devices/1", "").status)
	require.Equal(t, http.StatusOK, b.call(t, http.MethodGet, "/api/v1/product/api", "").status)
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/nowhere", "").status, "unmatched routes are never faulted")

	require.ErrorContains(t, b.sim.SetFaults("*", wugsim.Fault{ErrorRate: 1.5}), "between 0 and 1")
	require.ErrorContains(t, b.sim.SetFaults(" ", wugsim.Fault{ErrorRate: 1}), "selector is empty")
	_, err := wugsim.NewServer(wugsim.Options{Faults: map[string]wugsim.Fault{"*": {Latency: -time.Second}}})
	require.ErrorContains(t, err, "must not be negative")
}

func TestTimeoutFaultHoldsUntilTheClientGivesUp(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{versionRoute: {TimeoutRate: 1}}})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.URL+"/api/v1/product/version", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.token)
	_, err = b.srv.Client().Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, 1, b.sim.CountRequests(versionRoute), "counted on arrival")
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{versionRoute: {TimeoutRate: 1}}})
	var wg sync.WaitGroup
	var status int
	wg.Go(func() { status = b.call(t, http.MethodGet, "/api/v1/product/version", "").status })
	require.Eventually(t, func() bool { return b.sim.CountRequests(versionRoute) == 1 }, 5*time.Second, time.Millisecond)
	b.sim.Close()
	wg.Wait()
	require.Equal(t, http.StatusServiceUnavailable, status)
}

func TestLostAnswerHandlesTheRequestAndDropsTheAnswer(t *testing.T) {
	t.Parallel()
	const applyRoute = "PATCH /api/v1/devices/-/config/template"
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{applyRoute: {LostAnswerRate: 1, Count: 1}}})
	body := `{"templates":[{"templateId":"t1","displayName":"lost-1","interfaces":[{"defaultInterface":true,"pollUsingNetworkName":false,"networkAddress":"10.9.0.1","networkName":"10.9.0.1"}]}]}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, b.srv.URL+"/api/v1/devices/-/config/template", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	_, err = b.srv.Client().Do(req)
	require.Error(t, err, "the answer never arrives")
	require.Equal(t, 1, b.sim.DeviceCount(), "the template call created its device before the answer was lost")

	log := b.sim.RequestLog()
	require.Equal(t, wugsim.FaultLostAnswer, log[len(log)-1].Fault)
	require.Equal(t, http.StatusOK, b.call(t, http.MethodGet, "/api/v1/product/version", "").status, "the next call is answered")
}

func TestSharesDueTogetherTakeConsecutiveRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{versionRoute: {RateLimitRate: 0.1, ErrorRate: 0.1}}})
	got := statuses(t, b, 20, "/api/v1/product/version")
	want := make([]int, 20)
	for i := range want {
		want[i] = http.StatusOK
	}
	want[9], want[10], want[19] = http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusTooManyRequests
	require.Equal(t, want, got, "the 500 due on the 10th request takes the 11th; neither share hides the other")
}
