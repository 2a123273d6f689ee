package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/wug"
)

// Params is everything the API needs; cmd wires it.
type Params struct {
	DB    *gorm.DB
	Redis redis.UniversalClient
	// RedisOpt is how asynqmon opens its own connection.
	RedisOpt asynq.RedisConnOpt
	Enqueuer *tasks.Enqueuer
	Sealer   *models.Sealer
	// APITokens are the WUGSYNC_API_TOKEN values; at least one.
	APITokens []string
	// WebhookSecret is WUGSYNC_WEBHOOK_SECRET; empty refuses webhooks (503).
	WebhookSecret string
	// MetricsToken is WUGSYNC_METRICS_TOKEN; empty leaves /metrics open.
	MetricsToken string
	// ConnectionDeny is WUGSYNC_CONNECTION_DENY: networks a connection's
	// host may not be in (checked on create and PATCH for a literal IP,
	// and on every address the connection test dials). Nil means
	// wug.DefaultDenyList.
	ConnectionDeny *wug.DenyList
	// Registry is shared with workers.NewMetrics; the API adds its HTTP
	// metrics and asynq's queue collector, and serves it on /metrics.
	// Nil gets a registry of its own.
	Registry *prometheus.Registry
	Log      *logrus.Entry
	// MaxWaiters caps the clients waiting on ?wait= at once in this
	// process; past it they get 503 (tasks.ErrTooManyWaiters). Zero means
	// tasks.DefaultMaxWaiters.
	MaxWaiters int
	// Dashboard serves the static dashboard under /dashboard/ (prefix
	// stripped) behind the login; nil answers 404 there.
	Dashboard http.Handler
	// NetBox is the NetBox client the setup route uses; nil answers 503
	// there (an API process without WUGSYNC_NETBOX_URL).
	NetBox *netbox.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the API: an http.Handler with a gin engine inside.
type Server struct {
	p            Params
	engine       *gin.Engine
	q            queries
	tokens       tokenSet
	metricsToken tokenSet
	deny         wug.DenyList
	sessions     sessionStore
	metrics      *httpMetrics
	monitor      *asynqmon.HTTPHandler
	monitorCSP   string
	waiter       *tasks.RunWaiter
	openapi      []byte
	routes       []route
	// hookConns caches the exporting connections for the webhook receiver.
	hookConns exportingCache
}

var ginReleaseMode sync.Once

// New checks p and builds the router. Close releases asynqmon's Redis
// connection.
func New(p Params) (*Server, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if p.Log == nil {
		logger := logrus.New()
		logger.SetOutput(io.Discard)
		p.Log = logrus.NewEntry(logger)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Registry == nil {
		p.Registry = prometheus.NewRegistry()
	}
	ginReleaseMode.Do(func() { gin.SetMode(gin.ReleaseMode) })

	s := &Server{
		p: p, q: queries{db: p.DB, store: models.NewStore(p.DB)},
		tokens: newTokenSet(p.APITokens), metricsToken: newTokenSet([]string{p.MetricsToken}),
		sessions: sessionStore{rdb: p.Redis}, deny: wug.DefaultDenyList(),
	}
	if p.ConnectionDeny != nil {
		s.deny = *p.ConnectionDeny
	}
	var err error
	if s.metrics, err = newHTTPMetrics(p.Registry); err != nil {
		return nil, err
	}
	if err := registerQueueMetrics(p.Registry, p.Redis); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	if s.openapi, err = buildOpenAPI(s.routes); err != nil {
		return nil, fmt.Errorf("build OpenAPI document: %w", err)
	}
	s.monitor = newMonitor(p)
	if s.monitorCSP, err = monitorPolicy(s.monitor); err != nil {
		_ = s.monitor.Close()
		return nil, fmt.Errorf("asynqmon Content-Security-Policy: %w", err)
	}
	s.waiter = tasks.NewRunWaiter(p.Redis, p.DB, p.MaxWaiters)
	s.engine = s.newEngine()
	return s, nil
}

func (p Params) check() error {
	var missing []string
	if p.DB == nil {
		missing = append(missing, "DB")
	}
	if p.Redis == nil {
		missing = append(missing, "Redis")
	}
	if p.RedisOpt == nil {
		missing = append(missing, "RedisOpt")
	}
	if p.Enqueuer == nil {
		missing = append(missing, "Enqueuer")
	}
	if p.Sealer == nil {
		missing = append(missing, "Sealer")
	}
	if len(missing) > 0 {
		return fmt.Errorf("api: missing %v", missing)
	}
	if newTokenSet(p.APITokens).empty() {
		return errors.New("api: at least one API token (WUGSYNC_API_TOKEN) is required")
	}
	return nil
}

func (s *Server) newEngine() *gin.Engine {
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectFixedPath = false
	e.Use(s.recoverJSON, s.observe, s.guard)
	e.NoRoute(func(c *gin.Context) {
		s.writeError(c, notFound("no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		s.writeError(c, &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
			Message: fmt.Sprintf("%s is not allowed on %s", c.Request.Method, c.Request.URL.Path)})
	})
	for _, r := range s.routes {
		chain := append(s.accessChain(r), rejectControlQuery(s.renderer(r)), s.handlerOf(r))
		e.Handle(r.Method, r.Path, chain...)
	}
	return e
}

// accessChain is the middleware that admits a caller to a route.
func (s *Server) accessChain(r route) []gin.HandlerFunc {
	switch r.Access {
	case accessAPI:
		return []gin.HandlerFunc{s.requireAuth(s.renderer(r))}
	case accessBrowser:
		return []gin.HandlerFunc{s.requireBrowserAuth}
	case accessMetrics:
		return []gin.HandlerFunc{s.requireMetricsAuth}
	}
	// Open routes and the webhook (which checks its signature itself).
	return nil
}

// renderer writes an error in the route's shape (v1 or seed).
func (s *Server) renderer(r route) func(*gin.Context, error) {
	if r.Seed {
		return s.writeSeedError
	}
	return s.writeError
}

func (s *Server) handlerOf(r route) gin.HandlerFunc {
	if r.JSON != nil {
		return s.jsonHandler(r.JSON, r.Seed)
	}
	return r.Raw
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Close ends the shared run-end subscription and releases asynqmon's own
// Redis connection and inspector.
func (s *Server) Close() error {
	_ = s.waiter.Close()
	if err := s.monitor.Close(); err != nil {
		return fmt.Errorf("close asynqmon: %w", err)
	}
	return nil
}
