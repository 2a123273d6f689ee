package process

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// ListenOrFallback listens on addr; when that port is taken it listens on a
// free port of the same host instead and reports fellBack, so a demo on a
// busy laptop still starts. Any other error is returned.
func ListenOrFallback(addr string) (ln net.Listener, fellBack bool, err error) {
	ln, err = net.Listen("tcp", addr)
	if err == nil {
		return ln, false, nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil, false, fmt.Errorf("listen on %s: %w", addr, err)
	}
	host, _, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		return nil, false, fmt.Errorf("listen on %s: %w", addr, err)
	}
	ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, false, fmt.Errorf("listen on a free port of %q: %w", host, err)
	}
	return ln, true, nil
}

// BaseURL is the http:// URL a person on this machine can open for ln:
// a wildcard listen address becomes 127.0.0.1.
func BaseURL(ln net.Listener) string {
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return "http://" + ln.Addr().String()
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}
