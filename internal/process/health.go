package process

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Paths of the probe and metrics endpoints. The API serves the same paths,
// so every role is probed and scraped alike.
const (
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
	MetricsPath = "/metrics"
)

// readyTimeout bounds one readiness check, below the usual probe timeout.
const readyTimeout = 3 * time.Second

// HealthHandler serves the probes of a role that has no HTTP API (worker,
// scheduler):
//
//   - /healthz answers 200 while the process runs. Liveness does not look at
//     Redis or the database: restarting the process would not bring them back.
//   - /readyz answers 200 when ready succeeds, else 503 with the reason.
//   - /metrics serves reg, and asks for metricsToken when one is set.
func HealthHandler(ready func(context.Context) error, reg prometheus.Gatherer, metricsToken string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := ready(ctx); err != nil {
			writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		writeText(w, http.StatusOK, "ready")
	})
	mux.Handle("GET "+MetricsPath, RequireToken(metricsToken, promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})))
	return mux
}

// RequireToken guards next with a token given as "Authorization: Bearer
// <token>" or "Token <token>": none is 401, a wrong one 403. An empty token
// leaves next open.
func RequireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		given, ok := presentedToken(r.Header.Get("Authorization"))
		switch {
		case !ok:
			w.Header().Set("WWW-Authenticate", `Bearer realm="wugsync"`)
			writeText(w, http.StatusUnauthorized, "authentication required: Authorization: Bearer <token>")
		case subtle.ConstantTimeCompare([]byte(given), []byte(token)) != 1:
			writeText(w, http.StatusForbidden, "invalid token")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func presentedToken(header string) (string, bool) {
	scheme, token, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Token")) {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}
