package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
)

func TestHealthcheckPassesOnlyOn200(t *testing.T) {
	t.Parallel()
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer healthy.Close()
	unhealthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer unhealthy.Close()
	env := testEnvironment(map[string]string{})

	_, err := execute(context.Background(), newHealthcheckCommand(env), "--url", healthy.URL+"/healthz")
	require.NoError(t, err)
	_, err = execute(context.Background(), newHealthcheckCommand(env), "--url", unhealthy.URL+"/healthz")
	require.ErrorContains(t, err, "503 Service Unavailable")
	_, err = execute(context.Background(), newHealthcheckCommand(env), "--url", healthy.URL+"/missing")
	require.ErrorContains(t, err, "404")
}

func TestHealthcheckDefaultsToTheAPIAddress(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	env := testEnvironment(map[string]string{config.EnvHTTPAddr: ":" + port})
	_, err = execute(context.Background(), newHealthcheckCommand(env))
	require.NoError(t, err, "a wildcard WUGSYNC_HTTP_ADDR is probed on 127.0.0.1")
}
