package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ShutdownGrace is how long open HTTP requests get to finish after a stop
// signal before their connections are closed.
const ShutdownGrace = 20 * time.Second

// NewHTTPServer returns a server with the timeouts every wugsync listener
// uses. There is no write timeout: the API's ?wait=SECONDS long-polls and
// asynqmon's streams would be cut by one; ReadHeaderTimeout and IdleTimeout
// still bound what a slow or idle client can hold.
func NewHTTPServer(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// HTTPServer serves one listener in the background until Shutdown.
type HTTPServer struct {
	srv     *http.Server
	ln      net.Listener
	stopped chan struct{}
	err     error // what Serve returned; read after stopped is closed
}

// StartHTTP serves handler on ln in the background, with the timeouts of
// NewHTTPServer.
func StartHTTP(handler http.Handler, ln net.Listener) *HTTPServer {
	h := &HTTPServer{srv: NewHTTPServer(handler), ln: ln, stopped: make(chan struct{})}
	go func() {
		h.err = h.srv.Serve(ln)
		close(h.stopped)
	}()
	return h
}

// URL is the http:// URL of the listener (see BaseURL).
func (h *HTTPServer) URL() string { return BaseURL(h.ln) }

// Addr is the listener's host:port.
func (h *HTTPServer) Addr() string { return h.ln.Addr().String() }

// Stopped is closed when serving ends, by Shutdown or by a failure.
func (h *HTTPServer) Stopped() <-chan struct{} { return h.stopped }

// Err is the error that ended serving, once Stopped is closed; nil after a
// Shutdown.
func (h *HTTPServer) Err() error {
	<-h.stopped
	if errors.Is(h.err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve HTTP on %s: %w", h.ln.Addr(), h.err)
}

// Shutdown stops serving gracefully: new connections are refused and open
// requests get grace to finish before their connections are closed.
func (h *HTTPServer) Shutdown(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := h.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = h.srv.Close()
	}
	if err != nil {
		return fmt.Errorf("shut down HTTP on %s: %w", h.ln.Addr(), err)
	}
	return h.Err()
}

// Serve serves handler on ln until ctx ends, then shuts down within grace.
// It returns early with the error if serving fails.
func Serve(ctx context.Context, handler http.Handler, ln net.Listener, grace time.Duration) error {
	h := StartHTTP(handler, ln)
	select {
	case <-h.Stopped():
		return h.Err()
	case <-ctx.Done():
	}
	return h.Shutdown(grace)
}
