package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynqmon"
)

// MonitoringRoot is where asynqmon is mounted.
const MonitoringRoot = "/monitoring"

// newMonitor builds asynqmon on its own Redis connection (asynqmon has no
// way to share ours). It is read-write: only logged-in users reach it.
func newMonitor(p Params) *asynqmon.HTTPHandler {
	return asynqmon.New(asynqmon.Options{RootPath: MonitoringRoot, RedisConnOpt: p.RedisOpt})
}

// serveMonitor hands /monitoring/* to asynqmon; the wildcard route is what
// makes its API and assets reachable under gin (asynqmon#236). Every
// answer carries asynqmon's Content-Security-Policy.
func (s *Server) serveMonitor(c *gin.Context) {
	c.Header("Content-Security-Policy", s.monitorCSP)
	if c.Request.Method != http.MethodGet || strings.HasPrefix(c.Request.URL.Path, MonitoringRoot+"/api/") {
		s.monitor.ServeHTTP(c.Writer, c.Request)
		return
	}
	// asynqmon's page (served for every path of its single-page app) gets
	// a link back to the dashboard; its assets pass unchanged.
	rec := &pageRecorder{header: c.Writer.Header()}
	s.monitor.ServeHTTP(rec, c.Request)
	body := rec.body.Bytes()
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	// The page is the answer asynqmon gives no Content-Type (it leaves
	// it to net/http); its scripts and styles carry theirs.
	ct := c.Writer.Header().Get("Content-Type")
	isPage := ct == "" || strings.HasPrefix(ct, "text/html")
	if i := bytes.LastIndex(body, []byte("</body>")); isPage && i >= 0 && bytes.Contains(body, []byte(`id="root"`)) {
		body = append(body[:i:i], append([]byte(backToDashboard), body[i:]...)...)
		c.Header("Content-Type", "text/html; charset=utf-8")
	}
	c.Header("Content-Length", strconv.Itoa(len(body)))
	c.Status(status)
	_, _ = c.Writer.Write(body)
}

// backToDashboard is the link added to asynqmon's page: a fixed button in
// the corner, outside asynqmon's React root so its rendering leaves it be.
// It is styled inline, which asynqmon's policy allows for its own styles,
// and it runs no script.
const backToDashboard = `<a id="wugsync-dashboard-link" href="/dashboard/" ` +
	`style="position:fixed;right:16px;bottom:16px;z-index:2000;padding:8px 14px;border-radius:6px;` +
	`background:#0b5cad;color:#fff;font:600 14px system-ui,sans-serif;text-decoration:none;` +
	`box-shadow:0 1px 4px rgba(0,0,0,.35)">&larr; wugsync dashboard</a>`

// inlineScript matches the inline scripts of asynqmon's page (its flags
// and webpack's loader); scripts with attributes load files.
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// monitorPolicy builds asynqmon's Content-Security-Policy. asynqmon's page
// has two inline scripts, whose hashes are taken from the page it renders
// at start (they hold the root path), so no other inline script runs. Its
// Material-UI styles are injected at run time, which needs inline styles,
// and it loads the Roboto and Material Icons fonts from Google, as
// upstream does; nothing else leaves this origin.
func monitorPolicy(monitor http.Handler) (string, error) {
	rec := &pageRecorder{header: http.Header{}}
	req, err := http.NewRequest(http.MethodGet, MonitoringRoot+"/", nil)
	if err != nil {
		return "", err
	}
	monitor.ServeHTTP(rec, req)
	if rec.status != 0 && rec.status != http.StatusOK {
		return "", fmt.Errorf("asynqmon page answered %d", rec.status)
	}
	scripts := []string{"'self'"}
	for _, m := range inlineScript.FindAllSubmatch(rec.body.Bytes(), -1) {
		sum := sha256.Sum256(m[1])
		scripts = append(scripts, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	if len(scripts) == 1 {
		return "", fmt.Errorf("asynqmon page has no inline script; its layout changed")
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src " + strings.Join(scripts, " "),
		"style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
		"font-src 'self' https://fonts.gstatic.com",
		"img-src 'self' data:",
		"connect-src 'self'",
		"manifest-src 'self'",
		"form-action 'self'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
	}, "; "), nil
}

// pageRecorder keeps the page asynqmon renders at start.
type pageRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *pageRecorder) Header() http.Header         { return r.header }
func (r *pageRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *pageRecorder) WriteHeader(status int)      { r.status = status }

// serveDashboard hands /dashboard/* to the embedded dashboard with the
// prefix stripped, so the assets handler sees "/", "/app.js"...
func (s *Server) serveDashboard(c *gin.Context) {
	if s.p.Dashboard == nil {
		s.writeError(c, notFound("the dashboard is not built into this binary"))
		return
	}
	c.Header("Cache-Control", "no-cache")
	http.StripPrefix("/dashboard", s.p.Dashboard).ServeHTTP(c.Writer, c.Request)
}

// redirectTo answers a permanent-looking but uncached redirect.
func redirectTo(location string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Redirect(http.StatusFound, location)
	}
}
