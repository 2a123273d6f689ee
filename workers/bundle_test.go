package workers_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

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
	nb       *netboxsim.Server
	nbClient *netbox.Client
	wug      *wugsim.Server
	wugURL   string
	enq      *tasks.Enqueuer
	stack    *testinfra.Stack
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
	netboxVia func(http.Handler) http.Handler
	// wugVia is netboxVia for the simulated WUG.
	wugVia      func(http.Handler) http.Handler
	conn        func(*models.WUGConnection)
	noWorker    bool
	params      func(*workers.Params)
	concurrency int
	retryBase   time.Duration
}

func setup(t *testing.T, opts bundleOptions) *testBundle {
	t.Helper()
	nbOpts := opts.netbox
	if nbOpts.Inventory == nil && nbOpts.Devices == 0 {
		nbOpts.Devices, nbOpts.Seed = opts.devices, 7
	}
	stack := testinfra.NewStack(t, testinfra.StackOptions{NetBox: nbOpts, WUG: opts.wug, NetBoxVia: opts.netboxVia, WUGVia: opts.wugVia})
	b := &testBundle{t: t, opts: opts, db: stack.DB, redis: stack.Redis,
		nb: stack.NetBox, wug: stack.WUG, wugURL: stack.WUGURL, enq: stack.Enqueuer(), stack: stack}
	var err error
	b.nbClient, err = netbox.New(netbox.Config{URL: stack.NetBoxURL, Token: netboxsim.DefaultToken})
	require.NoError(t, err)
	b.conn = b.newConnection("lab-wug", b.wugURL, opts.conn)
	if !opts.noWorker {
		b.firstWorker = b.startWorker()
	}
	return b
}

// wugServer is one more simulated WUG server with the connection that
// reaches it, for tests with several WUG servers.
type wugServer struct {
	sim  *wugsim.Server
	conn models.WUGConnection
}

// addWUG starts another simulated WUG server and stores a connection to it.
func (b *testBundle) addWUG(name string, opts wugsim.Options, edit func(*models.WUGConnection)) wugServer {
	sim, u := testinfra.StartWUG(b.t, opts, nil)
	return wugServer{sim: sim, conn: b.newConnection(name, u, edit)}
}

// newConnection stores a connection to the WUG at wugURL, with rate limits
// high enough not to slow a test down unless it says so.
func (b *testBundle) newConnection(name, wugURL string, edit func(*models.WUGConnection)) models.WUGConnection {
	return b.stack.NewConnection(b.t, name, wugURL, func(c *models.WUGConnection) {
		c.RateLimitPerSecond, c.MaxConcurrentRequests = 500, 20
		if edit != nil {
			edit(c)
		}
	})
}

// startWorker starts one worker process (an asynq server with its own
// Worker) and returns a function that shuts it down.
func (b *testBundle) startWorker() func() {
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	params := workers.Params{
		DB: b.db, Redis: b.redis.Client, Enqueuer: b.enq, Sealer: b.stack.Sealer, NetBox: b.nbClient,
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
	run, err := tasks.StartExport(context.Background(), models.NewStore(b.db), b.enq, req)
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
	srv := testinfra.Serve(b.t, h)
	u, err := url.Parse(srv.URL)
	require.NoError(b.t, err)
	_, port, err := net.SplitHostPort(u.Host)
	require.NoError(b.t, err)
	p, _ := strconv.Atoi(port)
	require.NoError(b.t, b.db.Model(&b.conn).Update("port", p).Error)
	require.NoError(b.t, b.db.First(&b.conn, b.conn.ID).Error)
}
