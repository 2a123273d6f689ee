package wug

import "context"

type sendHookKey struct{}

// WithSendHook returns a context whose requests call fn just before each one
// goes out, once the rate limiter let it go (a token request the client
// makes on the way does not). A caller that shares a read's
// answer with others (workers' shared searches) needs the moment WUG could
// first see the read, not the moment it was asked for: under a busy limiter
// the two are seconds apart, and everything WUG finished before the read
// went out is in its answer.
func WithSendHook(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, sendHookKey{}, fn)
}

func callSendHook(ctx context.Context) {
	if fn, ok := ctx.Value(sendHookKey{}).(func()); ok && fn != nil {
		fn()
	}
}
