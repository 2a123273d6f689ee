package api

import (
	"net/http"

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
// makes its API and assets reachable under gin (asynqmon#236).
func (s *Server) serveMonitor(c *gin.Context) {
	s.monitor.ServeHTTP(c.Writer, c.Request)
}

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
