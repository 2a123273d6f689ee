package bench

import (
	"context"
	"errors"
)

// Stubs of the lines other helpers write (events: propagation, storm;
// limiter: ratelimit, overhead), so that this branch builds. The
// coordinator deletes this file when merging theirs.

var errNotMerged = errors.New("not merged yet")

func runRateLimit(ctx context.Context, opts Options, quick bool) ([]Result, error) {
	return nil, errNotMerged
}

func runOverhead(ctx context.Context, opts Options, quick bool) (Result, error) {
	return Result{}, errNotMerged
}
