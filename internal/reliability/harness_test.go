package reliability

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// hangGuard bounds every wait of these tests: far longer than any of them
// needs on a busy CI machine, so that a wedged run fails instead of hanging.
const hangGuard = 3 * time.Minute

// secretKeyHex is the WUGSYNC_SECRET_KEY of every process of a test.
var secretKeyHex = strings.Repeat("5a", 32)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// wugsyncBinary builds cmd/wugsync once per test binary: the processes the
// tests kill must be real ones.
func wugsyncBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "wugsync-reliability-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "wugsync")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/wugsync/wugsync/cmd/wugsync").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// logLine is one JSON log line of a process.
type logLine struct {
	Raw    string
	Fields map[string]any
	At     time.Time // when the test read it
}

// Msg is the line's message.
func (l logLine) Msg() string { s, _ := l.Fields["msg"].(string); return s }

// proc is one wugsync process.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // set before exited closes

	mu    sync.Mutex
	lines []logLine
	ready chan struct{}
}

// startProc runs `wugsync args...` with env and returns once it logged
// readyMsg. It is killed when the test ends if the test did not stop it.
func startProc(t *testing.T, name string, env map[string]string, readyMsg string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(wugsyncBinary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	p := &proc{t: t, name: name, cmd: cmd, exited: make(chan struct{}), ready: make(chan struct{})}
	require.NoError(t, cmd.Start(), "start %s", name)
	var readOnce sync.Once
	reading := make(chan struct{})
	go func() {
		defer close(reading)
		p.read(out, readyMsg, &readOnce)
	}()
	go func() {
		<-reading // Wait closes the pipe: read everything first
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() || os.Getenv("WUGSYNC_TEST_KEEP_LOGS") != "" {
			// Keep what the process said, for the person reading the failure.
			f, err := os.CreateTemp("", "wugsync-"+strings.ReplaceAll(t.Name(), "/", "-")+"-"+name+"-*.log")
			if err == nil {
				_, _ = f.WriteString(p.output())
				_ = f.Close()
				t.Logf("log of %s (pid %d): %s", name, cmd.Process.Pid, f.Name())
			}
		}
	})
	select {
	case <-p.ready:
	case <-p.exited:
		t.Fatalf("%s exited before it was ready: %v\n%s", name, p.err, p.output())
	case <-time.After(hangGuard):
		p.kill()
		t.Fatalf("%s not ready after %s\n%s", name, hangGuard, p.output())
	}
	return p
}

func (p *proc) read(r io.Reader, readyMsg string, once *sync.Once) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := logLine{Raw: sc.Text(), At: time.Now()}
		_ = json.Unmarshal(sc.Bytes(), &line.Fields)
		p.mu.Lock()
		p.lines = append(p.lines, line)
		p.mu.Unlock()
		if line.Msg() == readyMsg {
			once.Do(func() { close(p.ready) })
		}
	}
}

// logs returns the lines logged so far.
func (p *proc) logs() []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]logLine(nil), p.lines...)
}

func (p *proc) output() string {
	var b strings.Builder
	for _, l := range p.logs() {
		b.WriteString(l.Raw)
		b.WriteByte('\n')
	}
	return b.String()
}

// kill sends SIGKILL, as the OOM killer or a lost node does, and waits for
// the process to be gone.
func (p *proc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// terminate sends SIGTERM and returns the exit error.
func (p *proc) terminate() error {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(hangGuard):
		p.kill()
		p.t.Fatalf("%s did not stop within %s of SIGTERM\n%s", p.name, hangGuard, p.output())
		return nil
	}
}

// testBundle is one test's world: its Redis and database, simulated NetBox
// and WUG on loopback, a connection, and the environment of its processes.
type testBundle struct {
	t        *testing.T
	db       *gorm.DB
	database testinfra.Database
	redis    testinfra.Redis
	redisURL string
	nb       *netboxsim.Server
	wug      *wugsim.Server
	// wugTokens sees every access and refresh token the WUG issues.
	wugTokens   *tokenRecorder
	wugPassword string
	conn        models.WUGConnection
	enq         *tasks.Enqueuer
	env         map[string]string
}

type bundleOptions struct {
	devices int
	// redisURL replaces the test's own Redis (a redis-server the test runs).
	redisURL string
	// wugLatency slows every WUG call, so that a run lasts long enough to
	// be hit in its middle.
	wugLatency time.Duration
	batchSize  int
	// wugPassword replaces the simulated WUG's default password.
	wugPassword string
	// appName names the processes' PostgreSQL sessions (application_name),
	// so the test can find them.
	appName string
}

func setup(t *testing.T, opts bundleOptions) *testBundle {
	t.Helper()
	b := &testBundle{t: t}
	database := testinfra.NewDatabase(t)
	b.database = database
	b.db = testinfra.OpenMigrated(t, database)
	b.redisURL = opts.redisURL
	if b.redisURL == "" {
		b.redis = testinfra.NewRedis(t)
		if b.redis.Mini != nil {
			// As `wugsync all` does: locks and leases of killed processes
			// must expire.
			b.redis.Mini.ClockTTL(true)
		}
		b.redisURL = b.redis.URL
	}

	var err error
	b.nb, err = netboxsim.New(netboxsim.Options{Devices: opts.devices, Seed: 12})
	require.NoError(t, err)
	nbServer := httptest.NewServer(b.nb)
	t.Cleanup(nbServer.Close)

	wugOpts := wugsim.Options{}
	if opts.wugLatency > 0 {
		wugOpts.Faults = map[string]wugsim.Fault{"*": {Latency: opts.wugLatency}}
	}
	b.wugPassword = wugsim.DefaultPassword
	if opts.wugPassword != "" {
		b.wugPassword = opts.wugPassword
		wugOpts.Users = map[string]string{wugsim.DefaultUsername: opts.wugPassword}
	}
	b.wug = wugsim.New(wugOpts)
	b.wugTokens = &tokenRecorder{next: b.wug}
	wugServer := httptest.NewServer(b.wugTokens)
	t.Cleanup(func() {
		b.wug.Close()
		wugServer.CloseClientConnections()
		wugServer.Close()
	})

	redisOpt, err := asynq.ParseRedisURI(b.redisURL)
	require.NoError(t, err)
	client := asynq.NewClient(redisOpt)
	t.Cleanup(func() { _ = client.Close() })
	b.enq = tasks.NewEnqueuer(client)

	b.conn = b.newConnection(wugServer.URL, opts.batchSize)
	processDatabaseURL := database.URL
	if opts.appName != "" && database.Backend == "postgres" {
		u, err := url.Parse(database.URL)
		require.NoError(t, err)
		q := u.Query()
		q.Set("application_name", opts.appName)
		u.RawQuery = q.Encode()
		processDatabaseURL = u.String()
	}
	b.env = map[string]string{
		config.EnvRedisURL:          b.redisURL,
		config.EnvDatabaseURL:       processDatabaseURL,
		config.EnvNetBoxURL:         nbServer.URL,
		config.EnvNetBoxToken:       netboxsim.DefaultToken,
		config.EnvSecretKey:         secretKeyHex,
		config.EnvLogFormat:         "json",
		config.EnvLogLevel:          "info",
		config.EnvWorkerConcurrency: "4",
	}
	return b
}

func (b *testBundle) newConnection(wugURL string, batchSize int) models.WUGConnection {
	u, err := url.Parse(wugURL)
	require.NoError(b.t, err)
	host, port, err := net.SplitHostPort(u.Host)
	require.NoError(b.t, err)
	key, err := config.DecodeSecretKey(secretKeyHex)
	require.NoError(b.t, err)
	sealer, err := models.NewSealer(key)
	require.NoError(b.t, err)
	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username, conn.UseSSL = "lab-wug", host, wugsim.DefaultUsername, false
	conn.Port, _ = strconv.Atoi(port)
	conn.RateLimitPerSecond, conn.MaxConcurrentRequests = 500, 20
	if batchSize > 0 {
		conn.BatchSize = batchSize
	}
	require.NoError(b.t, conn.SetPassword(sealer, b.wugPassword)) // sealed with its id on insert
	require.NoError(b.t, b.db.Create(&conn).Error)
	return conn
}

// startWorker runs `wugsync worker`.
func (b *testBundle) startWorker(name string) *proc {
	return startProc(b.t, name, b.env, "worker started", "worker", "--health-addr", "127.0.0.1:0", "--shutdown-timeout", "20s")
}

// startExport starts a manual run, as the API does.
func (b *testBundle) startExport() models.WUGSyncLog {
	run, err := tasks.StartExport(b.t.Context(), models.NewStore(b.db), b.enq, tasks.ExportRequest{
		ConnectionID: b.conn.ID, Trigger: models.TriggerManual})
	var active *tasks.ActiveRunError
	if errors.As(err, &active) {
		// The scheduler of the test started the connection's run first:
		// that run exports the same devices.
		return active.Run
	}
	require.NoError(b.t, err)
	return run
}

// loadRun reads the run again.
func (b *testBundle) loadRun(id uint) models.WUGSyncLog {
	var run models.WUGSyncLog
	require.NoError(b.t, b.db.First(&run, id).Error)
	return run
}

// waitRun polls the run until done says so, failing after hangGuard.
func (b *testBundle) waitRun(id uint, what string, done func(models.WUGSyncLog) bool) models.WUGSyncLog {
	b.t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		var run models.WUGSyncLog
		err := b.db.First(&run, id).Error
		if err == nil && done(run) {
			return run
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("run %d: %s did not happen within %s (last state: %+v, err %v)", id, what, hangGuard, run, err)
		}
		time.Sleep(100 * time.Millisecond) // polling the database, not synchronising
	}
}

// requireExact checks the end state of a run against NetBox and WUG: every
// device the run selected is in WUG exactly once, each row links to its
// own WUG device, and nothing failed.
func (b *testBundle) requireExact(run models.WUGSyncLog) {
	b.t.Helper()
	require.Equal(b.t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Zero(b.t, run.DevicesFailed, run.Summary)
	require.Positive(b.t, run.DevicesCreated)

	var rows []models.NetBoxIPExport
	require.NoError(b.t, b.db.Where("connection_id = ? AND export_status = ?", b.conn.ID, models.ExportExported).Find(&rows).Error)
	require.Len(b.t, rows, run.DevicesCreated, "one exported row per created device")

	byNetBoxID := map[string][]wugsim.Device{}
	for _, d := range b.wug.Devices() {
		for _, a := range d.Attributes {
			if a.Name == "NetBox_ID" {
				byNetBoxID[a.Value] = append(byNetBoxID[a.Value], d)
			}
		}
	}
	require.Len(b.t, b.wug.Devices(), len(rows), "WUG holds exactly the exported devices")
	for _, row := range rows {
		devs := byNetBoxID[strconv.FormatInt(row.NetBoxDeviceID, 10)]
		require.Len(b.t, devs, 1, "NetBox device %d is in WUG exactly once", row.NetBoxDeviceID)
		require.Equal(b.t, devs[0].ID, row.WUGDeviceID, "row of NetBox device %d links its WUG device", row.NetBoxDeviceID)
		require.Equal(b.t, row.IPAddress, devs[0].NetworkAddress)
	}
}

// redisClient is a client on the test's Redis.
func (b *testBundle) redisClient() *goredis.Client {
	opts, err := goredis.ParseURL(b.redisURL)
	require.NoError(b.t, err)
	c := goredis.NewClient(opts)
	b.t.Cleanup(func() { _ = c.Close() })
	return c
}

// tokenRecorder passes requests to the simulated WUG and keeps the access
// and refresh tokens it hands out, so a test can look for them in logs.
type tokenRecorder struct {
	next http.Handler

	mu     sync.Mutex
	tokens []string
}

func (r *tokenRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !strings.HasSuffix(req.URL.Path, "/token") {
		r.next.ServeHTTP(w, req)
		return
	}
	rec := httptest.NewRecorder()
	r.next.ServeHTTP(rec, req)
	var body struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
		r.mu.Lock()
		for _, tok := range []string{body.AccessToken, body.RefreshToken} {
			if tok != "" {
				r.tokens = append(r.tokens, tok)
			}
		}
		r.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// issued returns the tokens handed out so far.
func (r *tokenRecorder) issued() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.tokens...)
}
