package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// lockedBuffer collects a subprocess's stderr while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logLines decodes JSON log lines, skipping anything else.
func logLines(out string) []map[string]any {
	var lines []map[string]any
	for _, l := range strings.Split(out, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

// TestAllStopsOnSIGINT runs `wugsync all` as a real process (this test
// binary re-executed as wugsync), sends it SIGINT once it serves, and
// expects the shutdown to be logged with its reason and the process to
// exit 0 on its own.
func TestAllStopsOnSIGINT(t *testing.T) {
	t.Parallel()
	nb, err := netboxsim.New(netboxsim.Options{Devices: 3})
	require.NoError(t, err)
	nbServer := httptest.NewServer(nb)
	t.Cleanup(nbServer.Close)
	redis := testinfra.NewRedis(t)
	database := testinfra.NewDatabase(t)

	cmd := exec.Command(os.Args[0], "all", "--shutdown-timeout", "5s")
	cmd.Env = []string{
		envRunMain + "=1",
		config.EnvRedisURL + "=" + redis.URL,
		config.EnvDatabaseURL + "=" + database.URL,
		config.EnvSecretKey + "=" + strings.Repeat("ab", 32),
		config.EnvNetBoxURL + "=" + nbServer.URL,
		config.EnvNetBoxToken + "=" + netboxsim.DefaultToken,
		config.EnvHTTPAddr + "=127.0.0.1:0",
		config.EnvLogFormat + "=json",
		config.EnvLogLevel + "=info",
	}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() {
		// Drain stdout first: Wait closes the pipe.
		lines := bufio.NewScanner(stdout)
		running := false
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "wugsync is running") && !running {
				running = true
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Errorf("send SIGINT: %v", err)
				}
			}
		}
		exited <- cmd.Wait()
	}()

	select {
	case err = <-exited:
	case <-time.After(hangGuard):
		_ = cmd.Process.Kill()
		t.Fatalf("wugsync all did not exit after SIGINT; its log:\n%s", stderr.String())
	}
	require.NoError(t, err, "exit status after SIGINT; log:\n%s", stderr.String())

	var shuttingDown, stopped bool
	for _, l := range logLines(stderr.String()) {
		switch l["msg"] {
		case "API, dashboard and worker running":
			require.False(t, shuttingDown, "the shutdown is logged after the start")
		}
		if strings.HasPrefix(l["msg"].(string), "shutting down") {
			shuttingDown = true
			require.Equal(t, "interrupt signal received", l["reason"])
			require.Equal(t, "5s", l["shutdown_timeout"])
		}
		if l["msg"] == "stopped" {
			require.True(t, shuttingDown, "stopped comes after the shutdown started")
			stopped = true
		}
	}
	require.True(t, shuttingDown, "the shutdown and its reason are logged:\n%s", stderr.String())
	require.True(t, stopped, "the end of the shutdown is logged:\n%s", stderr.String())
}
