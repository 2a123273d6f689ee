// Package workers runs wugsync's asynq task handlers, the per-WUG-server
// rate limiter, attempt history and the scheduler. Handlers are thin: each
// decodes its payload and calls a runner that holds the logic.
package workers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/wug"
)

// Params is everything the task runners need. One Params is shared by every
// handler of a process.
type Params struct {
	DB       *gorm.DB
	Redis    redis.UniversalClient
	Enqueuer *tasks.Enqueuer
	Sealer   *models.Sealer
	NetBox   *netbox.Client
	Log      *logrus.Entry
	Metrics  *Metrics
	// WUGTimeout bounds each WUG HTTP exchange; zero means the client default.
	WUGTimeout time.Duration
	// ScanTimeout is how long a fallback discovery scan may run before its
	// rows are marked as errors.
	ScanTimeout time.Duration
	// ScanPollBase is the first delay between scan polls; it doubles up to
	// ScanPollMax.
	ScanPollBase, ScanPollMax time.Duration
	// ClaimRetry is how long a task waits before retrying devices another
	// task is creating at the same moment.
	ClaimRetry time.Duration
	// AdoptListThreshold is the number of new devices from which a run reads
	// WUG's whole device list once instead of searching per device.
	AdoptListThreshold int
	// Retention is what each sweep prunes (old runs and plans, attempts
	// beyond a row's latest); the zero value prunes nothing.
	Retention models.Retention
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// Worker holds the shared state of the task runners: the WUG clients (one
// per connection, so every task of the process shares its token) and the
// group cache.
type Worker struct {
	p Params
	// store is the typed access to runs, rows and plan entries, built once
	// over p.DB.
	store models.Store

	mu      sync.Mutex
	clients map[uint]cachedClient
	groups  *groupCache
	// searches lets concurrent look-ups for earlier creates share WUG
	// searches.
	searches *searchFlights
	// primaryCache is the primary-address index the runs of one device
	// share (plan_primaries.go).
	primaryCache primaryCache
	regions      struct {
		mu      sync.Mutex
		fetched time.Time
		bySite  map[int64]string
	}
}

type cachedClient struct {
	version time.Time // the connection's updated_at; an edit rebuilds the client
	client  *wug.Client
	limiter *WUGLimiter
}

// NewWorker fills defaults into p and returns the runner set.
func NewWorker(p Params) *Worker {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	if p.Metrics == nil {
		p.Metrics = NewMetrics(nil)
	}
	if p.ScanTimeout == 0 {
		p.ScanTimeout = 30 * time.Minute
	}
	if p.ScanPollBase == 0 {
		p.ScanPollBase = 10 * time.Second
	}
	if p.ScanPollMax == 0 {
		p.ScanPollMax = 5 * time.Minute
	}
	if p.ClaimRetry == 0 {
		p.ClaimRetry = 5 * time.Second
	}
	if p.AdoptListThreshold == 0 {
		p.AdoptListThreshold = 25
	}
	registerTextCleaning(p.DB) // NetBox's and WUG's texts may carry control characters
	return &Worker{p: p, store: models.NewStore(p.DB), clients: map[uint]cachedClient{}, groups: newGroupCache(),
		searches: newSearchFlights()}
}

func (w *Worker) now() time.Time { return w.p.Now().UTC() }

// errConnectionGone means the connection of a task was deleted; the task
// has nothing left to do.
var errConnectionGone = errors.New("connection no longer exists")

func (w *Worker) loadConnection(ctx context.Context, id uint) (models.WUGConnection, error) {
	var conn models.WUGConnection
	err := w.p.DB.WithContext(ctx).First(&conn, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return conn, fmt.Errorf("connection %d: %w", id, errConnectionGone)
	}
	if err != nil {
		return conn, fmt.Errorf("load connection %d: %w", id, err)
	}
	return conn, nil
}

// wugClient returns the shared client of a connection, rebuilt when the
// connection was edited.
func (w *Worker) wugClient(conn models.WUGConnection) (*wug.Client, *WUGLimiter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.clients[conn.ID]; ok && c.version.Equal(conn.UpdatedAt) {
		return c.client, c.limiter, nil
	}
	password, err := conn.Password(w.p.Sealer)
	if err != nil {
		return nil, nil, err
	}
	limiter := NewWUGLimiter(w.p.Redis, conn.ID, conn.RateLimitPerSecond, conn.MaxConcurrentRequests)
	connLabel := conn.Name
	limiter.OnWait = func(d time.Duration) { w.p.Metrics.RateLimitWait(connLabel, d) }
	client, err := wug.New(wug.Config{
		Name:               conn.Name,
		BaseURL:            conn.BaseURL(),
		Username:           conn.Username,
		Password:           password,
		InsecureSkipVerify: !conn.VerifySSL,
		CACertPEM:          []byte(conn.CACertPEM),
		Timeout:            w.p.WUGTimeout,
		Limiter:            limiter,
		Observer: func(op string, d time.Duration, err error) {
			w.p.Metrics.WUGCall(connLabel, op, d, err)
			w.coolDown(conn, limiter, err)
		},
	})
	if err != nil {
		return nil, nil, err
	}
	w.clients[conn.ID] = cachedClient{version: conn.UpdatedAt, client: client, limiter: limiter}
	return client, limiter, nil
}

// connectionLog adds the standard connection field.
func (w *Worker) connectionLog(conn models.WUGConnection) *logrus.Entry {
	return w.p.Log.WithField("connection", conn.Name)
}
