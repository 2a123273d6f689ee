package testinfra

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// Stack is everything outside wugsync that one test runs against: a
// migrated database and a Redis of its own, the secret key that seals
// connection passwords, and a simulated NetBox and WUG on real HTTP.
type Stack struct {
	Database Database
	DB       *gorm.DB
	Redis    Redis
	// SecretKeyHex is WUGSYNC_SECRET_KEY; Sealer seals with it.
	SecretKeyHex string
	Sealer       *models.Sealer
	// NetBox, WUG and their URLs are nil and empty with NoSimulators.
	NetBox    *netboxsim.Server
	NetBoxURL string
	WUG       *wugsim.Server
	WUGURL    string
}

// StackOptions shape a Stack.
type StackOptions struct {
	NetBox netboxsim.Options
	WUG    wugsim.Options
	// NetBoxVia and WUGVia, when set, put a handler in front of a
	// simulator (to watch or bend its answers).
	NetBoxVia, WUGVia func(http.Handler) http.Handler
	// NoSimulators leaves NetBox and WUG out, for tests of the API alone.
	NoSimulators bool
}

// NewStack starts a Stack for t; everything stops when t ends.
func NewStack(t testing.TB, o StackOptions) *Stack {
	t.Helper()
	s := &Stack{Database: NewDatabase(t), Redis: NewRedis(t)}
	s.DB = OpenMigrated(t, s.Database)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s.SecretKeyHex = hex.EncodeToString(key)
	var err error
	s.Sealer, err = models.NewSealer(key)
	require.NoError(t, err)
	if o.NoSimulators {
		return s
	}
	s.NetBox, err = netboxsim.New(o.NetBox)
	require.NoError(t, err)
	s.NetBoxURL = Serve(t, via(s.NetBox, o.NetBoxVia)).URL
	s.WUG, s.WUGURL = StartWUG(t, o.WUG, o.WUGVia)
	return s
}

func via(h http.Handler, front func(http.Handler) http.Handler) http.Handler {
	if front == nil {
		return h
	}
	return front(h)
}

// Serve runs h on a test HTTP server. Its cleanup drops the client
// connections before closing, which cancels the requests a test holds, so a
// held call can never make Close wait forever.
func Serve(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

// StartWUG starts one more simulated WUG server on real HTTP, behind front
// when it is set, and returns it with its URL.
func StartWUG(t testing.TB, o wugsim.Options, front func(http.Handler) http.Handler) (*wugsim.Server, string) {
	if o.MaxHold == 0 {
		o.MaxHold = 3 * time.Second // past a client's timeout
	}
	sim := wugsim.New(o)
	srv := Serve(t, via(sim, front))
	t.Cleanup(sim.Close) // runs first: releases requests a fault holds
	return sim, srv.URL
}

// Vars are the variables that reach the stack: Redis, the database, the
// secret key and NetBox with its token.
func (s *Stack) Vars() map[string]string {
	return map[string]string{
		config.EnvRedisURL:    s.Redis.URL,
		config.EnvDatabaseURL: s.Database.URL,
		config.EnvSecretKey:   s.SecretKeyHex,
		config.EnvNetBoxURL:   s.NetBoxURL,
		config.EnvNetBoxToken: netboxsim.DefaultToken,
	}
}

// NewConnection stores a connection named name to the WUG at wugURL, with
// the simulator's credentials, over plain HTTP; edit adjusts it before it
// is stored.
func (s *Stack) NewConnection(t testing.TB, name, wugURL string, edit func(*models.WUGConnection)) models.WUGConnection {
	t.Helper()
	u, err := url.Parse(wugURL)
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(u.Host)
	require.NoError(t, err)
	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username, conn.UseSSL = name, host, wugsim.DefaultUsername, false
	conn.Port, err = strconv.Atoi(port)
	require.NoError(t, err)
	require.NoError(t, conn.SetPassword(s.Sealer, wugsim.DefaultPassword))
	if edit != nil {
		edit(&conn)
	}
	require.NoError(t, s.DB.Create(&conn).Error)
	return conn
}

// Enqueuer returns an Enqueuer on the stack's Redis client, which it
// shares (and so never closes).
func (s *Stack) Enqueuer() *tasks.Enqueuer {
	return tasks.NewEnqueuer(asynq.NewClientFromRedisClient(s.Redis.Client))
}
