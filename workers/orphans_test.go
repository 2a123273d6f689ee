package workers

import (
	"fmt"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
)

// TestInterruptionIsNoFailure: a task whose worker died comes back through
// asynq's recoverer with ErrLeaseExpired; that must not use up a retry,
// while any other error does.
func TestInterruptionIsNoFailure(t *testing.T) {
	t.Parallel()
	require.False(t, countsAsFailure(asynq.ErrLeaseExpired))
	require.False(t, countsAsFailure(fmt.Errorf("recovered: %w", asynq.ErrLeaseExpired)))
	require.False(t, countsAsFailure(&SnoozeError{RetryIn: 1}))
	require.True(t, countsAsFailure(fmt.Errorf("WUG answered 500")))
}
