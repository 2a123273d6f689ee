package reliability

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/api"
	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
)

// TestNoSecretInAnyLogLine runs api, worker and scheduler at debug level
// through everything that handles a secret: a connection created with a
// password and tested, an export run to its end (WUG logins and token
// refreshes), a dashboard login and logout, a signed webhook and a metrics
// scrape. No log line of any process holds the WUG password, a WUG access
// or refresh token, the API, NetBox or metrics token, the webhook secret,
// the secret key or the session id.
func TestNoSecretInAnyLogLine(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 150, wugPassword: "wug-Passw0rd-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	apiToken := "api-token-" + strings.Repeat("q7", 20)
	webhookSecret := "webhook-secret-" + strings.Repeat("w3", 16)
	metricsToken := "metrics-token-" + strings.Repeat("m5", 10)
	env := map[string]string{config.EnvLogLevel: "debug", config.EnvAPIToken: apiToken,
		config.EnvWebhookSecret: webhookSecret, config.EnvMetricsToken: metricsToken, config.EnvHTTPAddr: freeAddr(t)}
	for k, v := range b.env {
		if _, set := env[k]; !set {
			env[k] = v
		}
	}
	b.env = env
	apiProc := startProc(t, "api", env, "API listening", "api")
	base := "http://" + env[config.EnvHTTPAddr]
	worker := b.startWorker("worker")
	scheduler := startProc(t, "scheduler", env, "scheduler started", "scheduler", "--health-addr", "127.0.0.1:0")

	call := func(method, path, body string, headers map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Token "+apiToken)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := (&http.Client{Timeout: hangGuard}).Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(out)
	}

	// A connection with a password, tested.
	wugURL, err := url.Parse(b.conn.BaseURL())
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(wugURL.Host)
	require.NoError(t, err)
	code, text := call(http.MethodPost, "/api/v1/connections", fmt.Sprintf(
		`{"name": "secrets", "host": "127.0.0.1", "port": %s, "use_ssl": false, "username": %q, "password": %q}`,
		port, wugsim.DefaultUsername, b.wugPassword), nil)
	require.Equal(t, http.StatusCreated, code, text)
	var created struct {
		ID uint `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(text), &created))
	code, text = call(http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/test", created.ID), "", nil)
	require.Equal(t, http.StatusOK, code, text)

	// A whole export, waited for.
	code, text = call(http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/export", created.ID), `{}`, nil)
	require.Equal(t, http.StatusAccepted, code, text)
	var started struct {
		RunID uint `json:"run_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(text), &started))
	run := b.waitRun(started.RunID, "the end of the run", func(r models.WUGSyncLog) bool { return !r.Status.Active() })
	require.Equal(t, "completed", string(run.Status), run.ErrorMessage)
	require.Positive(t, run.DevicesCreated)

	// A dashboard session: login, a page, logout.
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar, Timeout: hangGuard, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"token": {apiToken}, "next": {"/"}}
	req, err := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := browser.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	var session string
	for _, c := range resp.Cookies() {
		if c.Name == api.SessionCookie {
			session = c.Value
		}
	}
	require.NotEmpty(t, session, "login gave no session (status %d)", resp.StatusCode)
	resp, err = browser.Get(base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	req, err = http.NewRequest(http.MethodPost, base+"/logout", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", base)
	resp, err = browser.Do(req)
	require.NoError(t, err)
	resp.Body.Close()

	// A signed webhook and a metrics scrape.
	hook := `{"event": "updated", "timestamp": "2026-12-06T10:00:00Z", "model": "device", "username": "admin", "request_id": "r1", "data": {"id": 1, "name": "x"}, "snapshots": {}}`
	code, text = call(http.MethodPost, "/api/v1/webhooks/netbox", hook,
		map[string]string{netbox.SignatureHeader: netbox.Sign([]byte(webhookSecret), []byte(hook))})
	require.Less(t, code, 500, text)
	req, err = http.NewRequest(http.MethodGet, base+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	for _, p := range []*proc{apiProc, worker, scheduler} {
		require.NoError(t, p.terminate())
	}

	secrets := map[string]string{
		"WUG password": b.wugPassword, "API token": apiToken, "webhook secret": webhookSecret,
		"metrics token": metricsToken, "NetBox token": netboxsim.DefaultToken, "secret key": secretKeyHex,
		"session id": session,
	}
	wugTokens := b.wugTokens.issued()
	require.NotEmpty(t, wugTokens, "the WUG issued no token: the test did not exercise logins")
	for i, tok := range wugTokens {
		secrets[fmt.Sprintf("WUG token %d", i)] = tok
	}
	lines := 0
	for _, p := range []*proc{apiProc, worker, scheduler} {
		debug := 0
		for _, l := range p.logs() {
			lines++
			if l.Fields["level"] == "debug" {
				debug++
			}
			for what, secret := range secrets {
				require.NotContains(t, l.Raw, secret, "%s logged the %s", p.name, what)
			}
		}
		if p != scheduler {
			require.Positive(t, debug, "%s logged nothing at debug level", p.name)
		}
	}
	t.Logf("%d log lines at debug level checked against %d secrets", lines, len(secrets))
}
