package reliability

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// redisServer is a redis-server of the test's own, on a free loopback port,
// that the test may stop and start again.
type redisServer struct {
	t          *testing.T
	port       int
	dir        string
	appendOnly bool
	cmd        *exec.Cmd
	exited     chan struct{}
}

// startRedisServer runs redis-server from PATH; with appendOnly every write
// is fsynced to an append-only file in the test's directory.
func startRedisServer(t *testing.T, appendOnly bool) *redisServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	r := &redisServer{t: t, port: port, dir: t.TempDir(), appendOnly: appendOnly}
	r.start()
	t.Cleanup(r.kill)
	return r
}

// URL is the server's database 0.
func (r *redisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) start() {
	r.t.Helper()
	args := []string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--maxmemory-policy", "noeviction", "--protected-mode", "no"}
	if r.appendOnly {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	}
	r.cmd = exec.Command("redis-server", args...)
	require.NoError(r.t, r.cmd.Start(), "start redis-server (it must be on PATH)")
	r.exited = make(chan struct{})
	cmd, exited := r.cmd, r.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	client := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
	defer client.Close()
	deadline := time.Now().Add(hangGuard)
	for {
		// Waiting for a server to accept connections, not for behaviour.
		if err := client.Ping(context.Background()).Err(); err == nil {
			return
		}
		select {
		case <-exited:
			r.t.Fatalf("redis-server on port %d exited at start", r.port)
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %d does not answer", r.port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the server: SIGTERM (Redis flushes its append-only file), or
// SIGKILL with lose, which also throws its files away, as a server that
// comes back empty does.
func (r *redisServer) stop(lose bool) {
	r.t.Helper()
	sig := syscall.SIGTERM
	if lose {
		sig = syscall.SIGKILL
	}
	_ = r.cmd.Process.Signal(sig)
	select {
	case <-r.exited:
	case <-time.After(hangGuard):
		r.t.Fatalf("redis-server did not stop")
	}
	if lose {
		r.dir = r.t.TempDir()
	}
}

func (r *redisServer) kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.exited
}
