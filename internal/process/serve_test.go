package process

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestServeStopsCleanlyWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { close(served) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, handler, ln, ShutdownGrace) }()

	resp, err := http.Get(BaseURL(ln))
	require.NoError(t, err)
	resp.Body.Close()
	<-served
	cancel()
	require.NoError(t, <-done)
	_, err = net.Dial("tcp", ln.Addr().String())
	require.Error(t, err, "the listener is closed after shutdown")
}

func TestServeReturnsWhenServingFails(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	err = Serve(context.Background(), http.NotFoundHandler(), ln, ShutdownGrace)
	require.ErrorContains(t, err, "serve HTTP on "+ln.Addr().String())
}

func TestNewSecretIsLongAndFresh(t *testing.T) {
	t.Parallel()
	a, err := NewSecret()
	require.NoError(t, err)
	b, err := NewSecret()
	require.NoError(t, err)
	require.Len(t, a, 64)
	require.NotEqual(t, a, b)
}
