package workers_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// testBundle is one isolated wugsync: its own database, Redis, simulated
// NetBox and WUG, and worker processes on real HTTP.
type testBundle struct {
	t        *testing.T
	db       *gorm.DB
	redis    testinfra.Redis
	sealer   *models.Sealer
	nb       *netboxsim.Server
	nbClient *netbox.Client
	wug      *wugsim.Server
	wugURL   string
	asynq    *asynq.Client
	enq      *tasks.Enqueuer
	conn     models.WUGConnection
	opts     bundleOptions
	// firstWorker stops the worker process setup started.
	firstWorker func()
}

type bundleOptions struct {
	devices int
	wug     wugsim.Options
	netbox  netboxsim.Options
	// netboxVia, when set, puts a handler in front of the simulated NetBox
	// (to watch or bend its answers).
	netboxVia   func(http.Handler) http.Handler
	conn        func(*models.WUGConnection)
	noWorker    bool
	params      func(*workers.Params)
	concurrency int
	retryBase   time.Duration
}

func setup(t *testing.T, opts bundleOptions) *testBundle {
	t.Helper()
	b := &testBundle{t: t, opts: opts}
	b.db = testinfra.DB(t)
	b.redis = testinfra.NewRedis(t)
	var err error
	b.sealer, err = models.NewSealer(make([]byte, 32))
	require.NoError(t, err)

	nbOpts := opts.netbox
	if nbOpts.Inventory == nil && nbOpts.Devices == 0 {
		nbOpts.Devices, nbOpts.Seed = opts.devices, 7
	}
	b.nb, err = netboxsim.New(nbOpts)
	require.NoError(t, err)
	var nbHandler http.Handler = b.nb
	if opts.netboxVia != nil {
		nbHandler = opts.netboxVia(b.nb)
	}
	nbServer := serve(t, nbHandler)
	b.nbClient, err = netbox.New(netbox.Config{URL: nbServer.URL, Token: netboxsim.DefaultToken})
	require.NoError(t, err)

	b.wug, b.wugURL = startWUG(t, opts.wug)

	redisOpt, err := asynq.ParseRedisURI(b.redis.URL)
	require.NoError(t, err)
	b.asynq = asynq.NewClient(redisOpt)
	t.Cleanup(func() { _ = b.asynq.Close() })
	b.enq = tasks.NewEnqueuer(b.asynq)

	b.conn = b.newConnection("lab-wug", b.wugURL, opts.conn)
	if !opts.noWorker {
		b.firstWorker = b.startWorker()
	}
	return b
}

// serve runs h on a test HTTP server. Its cleanup drops the client
// connections before closing, which cancels the requests a test holds, so a
// held call can never make Close wait forever.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

// startWUG starts one simulated WUG server on real HTTP.
func startWUG(t *testing.T, opts wugsim.Options) (*wugsim.Server, string) {
	if opts.MaxHold == 0 {
		opts.MaxHold = 3 * time.Second // past the client's timeout
	}
	sim := wugsim.New(opts)
	srv := serve(t, sim)
	t.Cleanup(sim.Close) // runs first: releases requests a fault holds
	return sim, srv.URL
}

// wugServer is one more simulated WUG server with the connection that
// reaches it, for tests with several WUG servers.
type wugServer struct {
	sim  *wugsim.Server
	conn models.WUGConnection
}

// addWUG starts another simulated WUG server and stores a connection to it.
func (b *testBundle) addWUG(name string, opts wugsim.Options, edit func(*models.WUGConnection)) wugServer {
	sim, u := startWUG(b.t, opts)
	return wugServer{sim: sim, conn: b.newConnection(name, u, edit)}
}

func (b *testBundle) newConnection(name, wugURL string, edit func(*models.WUGConnection)) models.WUGConnection {
	u, err := url.Parse(wugURL)
	require.NoError(b.t, err)
	host, port, err := net.SplitHostPort(u.Host)
	require.NoError(b.t, err)
	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username, conn.UseSSL = name, host, wugsim.DefaultUsername, false
	conn.Port, _ = strconv.Atoi(port)
	conn.RateLimitPerSecond, conn.MaxConcurrentRequests = 500, 20
	require.NoError(b.t, conn.SetPassword(b.sealer, wugsim.DefaultPassword))
	if edit != nil {
		edit(&conn)
	}
	require.NoError(b.t, b.db.Create(&conn).Error)
	return conn
}

// startWorker starts one worker process (an asynq server with its own
// Worker) and returns a function that shuts it down.
func (b *testBundle) startWorker() func() {
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	params := workers.Params{
		DB: b.db, Redis: b.redis.Client, Enqueuer: b.enq, Sealer: b.sealer, NetBox: b.nbClient,
		Log: logrus.NewEntry(log), WUGTimeout: 2 * time.Second,
		ScanPollBase: 20 * time.Millisecond, ScanPollMax: 100 * time.Millisecond, ClaimRetry: 50 * time.Millisecond,
	}
	if b.opts.params != nil {
		b.opts.params(&params)
	}
	retryBase, retryMax := 10*time.Millisecond, 200*time.Millisecond
	if b.opts.retryBase > 0 {
		retryBase, retryMax = b.opts.retryBase, b.opts.retryBase
	}
	concurrency := b.opts.concurrency
	if concurrency == 0 {
		concurrency = 8
	}
	srv := workers.NewServer(workers.ServerParams{
		Redis: b.redis.Client, Concurrency: concurrency, Worker: workers.NewWorker(params),
		ShutdownTimeout: 2 * time.Second, RetryBase: retryBase, RetryMax: retryMax,
		PollInterval: 50 * time.Millisecond,
	})
	require.NoError(b.t, srv.Start())
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			srv.Shutdown()
		}
	}
	b.t.Cleanup(stop)
	return stop
}

// export starts a run and waits for it to end.
func (b *testBundle) export(req tasks.ExportRequest) models.WUGSyncLog {
	b.t.Helper()
	if req.ConnectionID == 0 {
		req.ConnectionID = b.conn.ID
	}
	if req.Trigger == "" {
		req.Trigger = models.TriggerManual
	}
	run, err := tasks.StartExport(context.Background(), b.db, b.enq, req)
	require.NoError(b.t, err)
	return b.waitRun(run.ID)
}

func (b *testBundle) waitRun(id uint) models.WUGSyncLog {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := tasks.WaitRunEnded(ctx, b.redis.Client, b.db, id)
	require.NoError(b.t, err, "run %d did not end", id)
	return run
}

func (b *testBundle) rows() map[int64]models.NetBoxIPExport {
	return b.rowsOf(b.conn.ID)
}

// rowsOf returns the export rows of one connection by NetBox device id.
func (b *testBundle) rowsOf(connID uint) map[int64]models.NetBoxIPExport {
	var rows []models.NetBoxIPExport
	require.NoError(b.t, b.db.Where("connection_id = ?", connID).Find(&rows).Error)
	out := map[int64]models.NetBoxIPExport{}
	for _, r := range rows {
		out[r.NetBoxDeviceID] = r
	}
	return out
}

// wugByNetBoxID indexes WUG's devices by the NetBox id in their NetBox_ID
// attribute, failing on any NetBox device that appears twice.
func (b *testBundle) wugByNetBoxID() map[string]wugsim.Device {
	return b.wugDevicesByNetBoxID(b.wug)
}

func (b *testBundle) wugDevicesByNetBoxID(sim *wugsim.Server) map[string]wugsim.Device {
	b.t.Helper()
	out := map[string]wugsim.Device{}
	for _, d := range sim.Devices() {
		id := attr(d, "NetBox_ID")
		if id == "" {
			continue
		}
		_, dup := out[id]
		require.False(b.t, dup, "NetBox device %s is in WUG twice", id)
		out[id] = d
	}
	return out
}

func attr(d wugsim.Device, name string) string {
	for _, a := range d.Attributes {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// routeWUGThrough puts h in front of the simulated WUG.
func (b *testBundle) routeWUGThrough(h http.Handler) {
	srv := serve(b.t, h)
	u, err := url.Parse(srv.URL)
	require.NoError(b.t, err)
	_, port, err := net.SplitHostPort(u.Host)
	require.NoError(b.t, err)
	p, _ := strconv.Atoi(port)
	require.NoError(b.t, b.db.Model(&b.conn).Update("port", p).Error)
	require.NoError(b.t, b.db.First(&b.conn, b.conn.ID).Error)
}
