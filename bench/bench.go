// Package bench measures wugsync against the targets of issue 15 and
// BENCHMARKS.md, each against a baseline taken in the same run: a cold
// export against a straight-line floor, a warm re-export, WUG calls per
// device against the old plugin's way, an export under WUG faults against
// the same export without, an export against slow servers against its
// ideal time, a separate worker process's peak memory at two sizes, and
// (from other files) the shared rate limit, middleware overhead and
// webhook propagation. Each scenario prints one "BENCH " line (Result).
package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// Options selects what to measure.
type Options struct {
	// Sizes are the inventory sizes of the cold and warm lines; empty
	// means 10,000 and 100,000 (1,000 and 10,000 with Quick).
	Sizes []int
	// Quick runs every line at reduced sizes (under 3 minutes on 2 cores).
	Quick bool
	// Only, when not empty, names the lines to run (cold, warm, calls,
	// faults, latency, memory, ratelimit, overhead, propagation, storm).
	Only []string
	// RedisURL and DatabaseURL point at real servers; empty means an
	// embedded miniredis and a temporary SQLite file. A real Redis database
	// is flushed: give the benchmark one of its own.
	RedisURL, DatabaseURL string
	// Concurrency is each worker server's asynq concurrency; zero is the
	// production default (WUGSYNC_WORKER_CONCURRENCY's).
	Concurrency int
	// RateLimit is the per-second limit of the rate-limit line; zero is
	// the 20.
	RateLimit int
	// SeedDevices is how many devices the one-device-per-call baseline
	// creates (it is slow by design).
	SeedDevices int
	// HeapProfileDir, when set, makes the memory line's worker processes
	// write a heap profile near their peak (memory-<n>.heap, with a .txt of
	// the runtime's figures): a diagnostic, the figures stay comparable.
	HeapProfileDir string
	Out            io.Writer
}

// benchSecretKey seals the WUG passwords of the bench's connections; worker
// processes get it as WUGSYNC_SECRET_KEY.
var benchSecretKey = make([]byte, 32)

// env is one isolated wugsync installation: database, Redis, simulators.
type env struct {
	db      *gorm.DB
	rdb     *redis.Client
	redisOp asynq.RedisConnOpt
	enq     *tasks.Enqueuer
	aclient *asynq.Client
	sealer  *models.Sealer
	nb      *netboxsim.Server
	nbURL   string
	nbc     *netbox.Client
	wug     *wugsim.Server
	wugURL  string
	// redisURL and dbURL are where worker processes find the bench's
	// Redis and database (an embedded miniredis listens on TCP, SQLite is
	// a file in WAL mode that several processes share).
	redisURL, dbURL string
	cleanup         []func()
}

func (e *env) close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
}

func newEnv(ctx context.Context, opts Options, devices int) (*env, error) {
	e := &env{}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	dbURL := opts.DatabaseURL
	if dbURL == "" {
		dir, err := os.MkdirTemp("", "wugsync-bench-")
		if err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, func() { os.RemoveAll(dir) })
		dbURL = "sqlite://" + filepath.Join(dir, "bench.db")
	}
	e.dbURL = dbURL
	db, err := models.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	e.db = db
	e.cleanup = append(e.cleanup, func() { models.Close(db) })
	if opts.DatabaseURL != "" {
		// Start from empty tables on a real database.
		for _, table := range []string{"export_attempts", "sync_plan_entries", "sync_run_batches", "netbox_ip_exports", "wug_sync_logs", "wug_connections"} {
			db.Exec("DELETE FROM " + table)
		}
	}
	if _, err := models.Migrate(ctx, db); err != nil {
		return nil, err
	}
	redisURL := opts.RedisURL
	if redisURL == "" {
		// As `wugsync all` runs it (process.StartEmbeddedRedis): on a TCP
		// port that worker processes reach, and with TTLs that follow the
		// wall clock, so that cool-downs, locks and leases expire as on a
		// real server (miniredis freezes them by default).
		mr := miniredis.NewMiniRedis()
		mr.ClockTTL(true)
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, mr.Close)
		redisURL = "redis://" + mr.Addr() + "/0"
	}
	e.redisURL = redisURL
	ropts, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, err
	}
	e.rdb = redis.NewClient(ropts)
	e.cleanup = append(e.cleanup, func() { e.rdb.Close() })
	if err := e.rdb.FlushDB(ctx).Err(); err != nil {
		return nil, fmt.Errorf("flush benchmark redis: %w", err)
	}
	if e.redisOp, err = asynq.ParseRedisURI(redisURL); err != nil {
		return nil, err
	}
	e.aclient = asynq.NewClient(e.redisOp)
	e.cleanup = append(e.cleanup, func() { e.aclient.Close() })
	e.enq = tasks.NewEnqueuer(e.aclient)
	if e.sealer, err = models.NewSealer(benchSecretKey); err != nil {
		return nil, err
	}

	if e.nb, err = netboxsim.New(netboxsim.Options{Devices: devices, Seed: 1}); err != nil {
		return nil, err
	}
	nbSrv := httptest.NewServer(e.nb)
	e.cleanup = append(e.cleanup, nbSrv.Close)
	e.nbURL = nbSrv.URL
	if e.nbc, err = netbox.New(netbox.Config{URL: nbSrv.URL, Token: netboxsim.DefaultToken}); err != nil {
		return nil, err
	}
	e.wug = wugsim.New(wugsim.Options{MaxLogEntries: 200000})
	wugSrv := httptest.NewServer(e.wug)
	e.cleanup = append(e.cleanup, wugSrv.Close)
	e.wugURL = wugSrv.URL
	ok = true
	return e, nil
}

func (e *env) connection(ctx context.Context, name string, edit func(*models.WUGConnection)) (models.WUGConnection, error) {
	u, _ := url.Parse(e.wugURL)
	host, port, _ := net.SplitHostPort(u.Host)
	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username, conn.UseSSL = name, host, wugsim.DefaultUsername, false
	conn.Port, _ = strconv.Atoi(port)
	conn.RateLimitPerSecond, conn.MaxConcurrentRequests = 1000, 32
	if err := conn.SetPassword(e.sealer, wugsim.DefaultPassword); err != nil {
		return conn, err
	}
	if edit != nil {
		edit(&conn)
	}
	return conn, e.db.WithContext(ctx).Create(&conn).Error
}

// startWorker starts one worker server in the bench process, with its own
// Redis pool, and the production settings of `wugsync worker`: the poll
// interval, retry delays and shutdown timeout of workers.ServerParams'
// defaults (but for the shutdown timeout). Unlike a worker process it has no NetBox rate limiter (lines
// that use it say netbox_rate=unlimited), so the floor and wugsync read
// NetBox alike.
func (e *env) startWorker(concurrency int) (func(), error) {
	rdb := redis.NewClient(e.rdb.Options())
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	w := workers.NewWorker(workers.Params{DB: e.db, Redis: rdb, Enqueuer: e.enq, Sealer: e.sealer, NetBox: e.nbc,
		Log: logrus.NewEntry(log)})
	// ShutdownTimeout only bounds how long stopping waits for tasks in
	// flight (a given-up faults run): nothing measured depends on it.
	srv := workers.NewServer(workers.ServerParams{Redis: rdb, Concurrency: concurrency, Worker: w,
		ShutdownTimeout: 2 * time.Second})
	if err := srv.Start(); err != nil {
		rdb.Close()
		return nil, err
	}
	return func() { srv.Shutdown(); rdb.Close() }, nil
}

// export runs one export of connID to its end and fails unless it
// completed.
func (e *env) export(ctx context.Context, connID uint) (models.WUGSyncLog, time.Duration, error) {
	run, took, err := e.runExport(ctx, connID)
	if err == nil && run.Status != models.RunCompleted {
		err = fmt.Errorf("run %d ended %s: %s", run.ID, run.Status, run.ErrorMessage)
	}
	return run, took, err
}

// runExport starts an export as the API does and waits for the run to
// end, or for ctx; the run is returned as it stands either way.
func (e *env) runExport(ctx context.Context, connID uint) (models.WUGSyncLog, time.Duration, error) {
	start := time.Now()
	run, err := tasks.StartExport(ctx, models.NewStore(e.db), e.enq, tasks.ExportRequest{ConnectionID: connID, Trigger: models.TriggerManual})
	if err != nil {
		return run, 0, err
	}
	run, err = tasks.WaitRunEnded(ctx, e.rdb, e.db, run.ID)
	return run, time.Since(start), err
}
