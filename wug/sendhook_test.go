package wug

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

// orderLimiter records the requests it lets go, in order with the send
// hook's calls.
type orderLimiter struct {
	mu     sync.Mutex
	events []string
}

func (l *orderLimiter) Acquire(_ context.Context, op string) (func(), error) {
	l.add("limiter " + op)
	return func() {}, nil
}

func (l *orderLimiter) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// TestTheSendHookRunsOncePerRequestAfterTheLimiter: a two-page search with
// a send hook calls it once per page, each time after the limiter let the
// page go, and not for the token the client fetches first.
func TestTheSendHookRunsOncePerRequestAfterTheLimiter(t *testing.T) {
	t.Parallel()
	lim := &orderLimiter{}
	b := setup(t, wugsim.Options{PageLimit: 2}, func(c *Config) { c.Limiter = lim })
	for _, ip := range []string{"10.1.0.5", "10.1.0.6", "10.1.0.7"} {
		b.seed(t, "dev-"+ip, ip)
	}
	found, err := b.client.SearchDevices(WithSendHook(b.ctx(t), func() { lim.add("sent") }), "10.1.0.")
	require.NoError(t, err)
	require.Len(t, found, 3)
	require.Equal(t, []string{"limiter " + OpToken, "limiter " + OpSearchDevices, "sent", "limiter " + OpSearchDevices, "sent"}, lim.events)
	require.Equal(t, 2, b.sim.CountRequests("GET /api/v1/device-groups/{groupId}/devices/-"))
}
