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
}

type bundleOptions struct {
	devices     int
	wug         wugsim.Options
	netbox      netboxsim.Options
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
	nbServer := httptest.NewServer(b.nb)
	t.Cleanup(nbServer.Close)
	b.nbClient, err = netbox.New(netbox.Config{URL: nbServer.URL, Token: netboxsim.DefaultToken})
	require.NoError(t, err)

	wugOpts := opts.wug
	if wugOpts.MaxHold == 0 {
		wugOpts.MaxHold = 3 * time.Second // past the client's timeout
	}
	b.wug = wugsim.New(wugOpts)
	wugServer := httptest.NewServer(b.wug)
	t.Cleanup(wugServer.Close)
	b.wugURL = wugServer.URL

	redisOpt, err := asynq.ParseRedisURI(b.redis.URL)
	require.NoError(t, err)
	b.asynq = asynq.NewClient(redisOpt)
	t.Cleanup(func() { _ = b.asynq.Close() })
	b.enq = tasks.NewEnqueuer(b.asynq)

	b.conn = b.newConnection("lab-wug", opts.conn)
	if !opts.noWorker {
		b.startWorker()
	}
	return b
}

func (b *testBundle) newConnection(name string, edit func(*models.WUGConnection)) models.WUGConnection {
	u, err := url.Parse(b.wugURL)
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
	var rows []models.NetBoxIPExport
	require.NoError(b.t, b.db.Where("connection_id = ?", b.conn.ID).Find(&rows).Error)
	out := map[int64]models.NetBoxIPExport{}
	for _, r := range rows {
		out[r.NetBoxDeviceID] = r
	}
	return out
}

// wugByTemplate indexes WUG's devices by the NetBox id in their NetBox_ID
// attribute, failing on any NetBox device that appears twice.
func (b *testBundle) wugByNetBoxID() map[string]wugsim.Device {
	b.t.Helper()
	out := map[string]wugsim.Device{}
	for _, d := range b.wug.Devices() {
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
	srv := httptest.NewServer(h)
	b.t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(b.t, err)
	_, port, err := net.SplitHostPort(u.Host)
	require.NoError(b.t, err)
	p, _ := strconv.Atoi(port)
	require.NoError(b.t, b.db.Model(&b.conn).Update("port", p).Error)
	require.NoError(b.t, b.db.First(&b.conn, b.conn.ID).Error)
}
