package process

import (
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestListenOrFallbackMovesOffATakenPort(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()

	ln, fellBack, err := ListenOrFallback(taken.Addr().String())
	require.NoError(t, err)
	defer ln.Close()
	require.True(t, fellBack)
	require.NotEqual(t, taken.Addr().String(), ln.Addr().String())
	require.Equal(t, "127.0.0.1", ln.Addr().(*net.TCPAddr).IP.String(), "the fallback keeps the host")

	free, fellBack, err := ListenOrFallback("127.0.0.1:0")
	require.NoError(t, err)
	defer free.Close()
	require.False(t, fellBack)
}

func TestListenOrFallbackReportsOtherErrors(t *testing.T) {
	t.Parallel()
	_, _, err := ListenOrFallback("256.0.0.1:80")
	require.ErrorContains(t, err, "listen on 256.0.0.1:80")
}

func TestBaseURLOfAWildcardListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", ":0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	require.Equal(t, fmt.Sprintf("http://127.0.0.1:%d", port), BaseURL(ln))
}
