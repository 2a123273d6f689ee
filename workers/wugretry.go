package workers

import (
	"context"
	"errors"
	"time"

	"github.com/wugsync/wugsync/wug"
)

// readAttempts bounds in-process retries of one idempotent WUG read.
const readAttempts = 3

// retryRead runs an idempotent WUG read, retrying a temporary failure
// (5xx, timeout, short 429) in-process a couple of times. A read that
// fails once should not throw away a whole batch's progress; writes are
// never retried here, because they are not known to be idempotent.
func retryRead[T any](ctx context.Context, read func(context.Context) (T, error)) (T, error) {
	var (
		out T
		err error
	)
	backoff := 100 * time.Millisecond
	for attempt := 1; attempt <= readAttempts; attempt++ {
		out, err = read(ctx)
		var apiErr *wug.APIError
		if err == nil || !errors.As(err, &apiErr) || !apiErr.Temporary() || attempt == readAttempts {
			return out, err
		}
		wait := backoff
		if apiErr.RetryAfter > 0 {
			if apiErr.RetryAfter > 2*time.Second {
				return out, err // a long throttle is the queue's job (snooze)
			}
			wait = apiErr.RetryAfter
		}
		if serr := sleep(ctx, wait); serr != nil {
			return out, err
		}
		backoff *= 2
	}
	return out, err
}
