// Package deployments_test checks the deployment files — Dockerfile, compose
// file, Kubernetes manifests, Helm chart and Procfile — against the code they
// run: every container command is a real wugsync subcommand with real flags,
// every variable a real WUGSYNC_* variable, every probe a real route on the
// port the process listens on. docker, kubectl and helm are not needed.
package deployments_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/cli"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/tasks"
)

// object is one decoded YAML document.
type object = map[string]any

// decodeDocuments parses every document of a YAML stream, skipping empty
// ones (a template that rendered nothing).
func decodeDocuments(t *testing.T, name string, data []byte) []object {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []object
	for {
		var doc object
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		require.NoError(t, err, "parse %s", name)
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

func readDocuments(t *testing.T, path string) []object {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return decodeDocuments(t, path, data)
}

// dig walks nested maps by key and list positions by index.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch key := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[key]
		case int:
			l, ok := v.([]any)
			if !ok || key >= len(l) {
				return nil
			}
			v = l[key]
		}
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func stringList(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, str(x))
	}
	return out
}

// checkInvocation fails unless args (what follows the binary) name a real
// subcommand and every flag is one it takes. It returns the flags' values.
func checkInvocation(t *testing.T, where string, args []string) (cli.Command, map[string]string) {
	t.Helper()
	cmd, rest, ok := cli.Lookup(args)
	require.True(t, ok, "%s: %q is not a wugsync subcommand", where, args)
	flags := map[string]string{}
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		require.True(t, strings.HasPrefix(arg, "--"), "%s: %q: unexpected argument %q (wugsync %s takes no arguments)", where, args, arg, cmd.Path)
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		require.True(t, cmd.HasFlag(name), "%s: wugsync %s has no flag --%s", where, cmd.Path, name)
		if !hasValue && i+1 < len(rest) && !strings.HasPrefix(rest[i+1], "--") {
			value = rest[i+1]
			i++
		}
		flags[name] = value
	}
	return cmd, flags
}

// checkVariable fails unless name is a variable wugsync reads.
func checkVariable(t *testing.T, where, name string) {
	t.Helper()
	require.True(t, slices.Contains(config.Variables(), name), "%s: %s is not a wugsync variable (config.Variables())", where, name)
}

// listenPort is the port a wugsync invocation serves HTTP on: the API's
// WUGSYNC_HTTP_ADDR, or --health-addr of a worker or scheduler. 0 means it
// serves nothing.
func listenPort(t *testing.T, where string, cmd cli.Command, flags map[string]string, env map[string]string) int {
	t.Helper()
	addr := ""
	switch cmd.Path {
	case "api", "all":
		addr = config.DefaultHTTPAddr
		if v, ok := env[config.EnvHTTPAddr]; ok {
			addr = v
		}
	case "worker", "scheduler":
		addr = flags["health-addr"]
	}
	if addr == "" {
		return 0
	}
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err, "%s: listen address %q", where, addr)
	n, err := strconv.Atoi(port)
	require.NoError(t, err, "%s: listen address %q", where, addr)
	return n
}

// checkProbePath fails unless path is the probe route kind expects:
// liveness on /healthz (it must not fail when Redis does), readiness on
// /readyz.
func checkProbePath(t *testing.T, where, kind, path string) {
	t.Helper()
	want := map[string]string{"liveness": process.HealthPath, "readiness": process.ReadyPath}[kind]
	require.Equal(t, want, path, "%s: %s probe path", where, kind)
}

// checkWorkerGrace fails unless a worker's grace period outlasts its
// shutdown timeout, which outlasts the longest task.
func checkWorkerGrace(t *testing.T, where string, flags map[string]string, grace time.Duration) {
	t.Helper()
	shutdown, err := time.ParseDuration(flags["shutdown-timeout"])
	require.NoError(t, err, "%s: --shutdown-timeout", where)
	require.GreaterOrEqual(t, shutdown, tasks.LongestTimeout(), "%s: --shutdown-timeout must let the longest task finish", where)
	require.Greater(t, grace, shutdown, "%s: the grace period must outlast --shutdown-timeout", where)
}
