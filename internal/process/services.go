package process

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
	"github.com/wugsync/wugsync/wug"
)

// Options say which shared parts a role needs and where they may come from.
type Options struct {
	// Role names the subcommand in errors ("worker", "all").
	Role string
	// EmbeddedRedis starts an in-process Redis when WUGSYNC_REDIS_URL is
	// unset, instead of failing. Only the all-in-one modes allow it.
	EmbeddedRedis bool
	// Migrate applies pending migrations instead of refusing to start.
	Migrate bool
	// Sealer loads the key that opens stored WUG passwords. Roles that
	// never read a password (the scheduler) leave it off, so they need no
	// WUGSYNC_SECRET_KEY.
	Sealer bool
}

// Services are the parts a wugsync process is built from. Close releases
// them in the reverse order of Open.
type Services struct {
	Config   config.Config
	Log      *logrus.Entry
	Redis    *Redis
	DB       *gorm.DB
	Sealer   *models.Sealer // nil unless Options.Sealer
	Enqueuer *tasks.Enqueuer
	// Registry collects every metric of the process (Go runtime, process,
	// workers, API, per-connection gauges), served on /metrics.
	Registry *prometheus.Registry

	connections *connectionCollector
	// finished is shared by the worker server and the orphan sweeper of
	// the process (workers.FinishedTasks).
	finished *workers.FinishedTasks
}

// finishedTasks is the process's ledger of ended tasks, made on first use.
func (s *Services) finishedTasks() *workers.FinishedTasks {
	if s.finished == nil {
		s.finished = workers.NewFinishedTasks()
	}
	return s.finished
}

// Open connects everything a role needs, logging what it chose: which Redis,
// which database, where the password key lives. On error, whatever was
// opened is closed again.
func Open(ctx context.Context, cfg config.Config, log *logrus.Entry, opts Options) (_ *Services, err error) {
	s := &Services{Config: cfg, Log: log}
	// Every WUG client of the process (the workers', the connection
	// test's) refuses the addresses of WUGSYNC_CONNECTION_DENY.
	wug.SetDefaultDenyList(ConnectionDeny(cfg))
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if s.Redis, err = openRedis(ctx, cfg, log, opts.Role, opts.EmbeddedRedis); err != nil {
		return nil, err
	}
	if s.DB, err = openDatabase(ctx, cfg, log, opts.Migrate); err != nil {
		return nil, err
	}
	if opts.Sealer {
		if s.Sealer, err = loadSealer(cfg, log); err != nil {
			return nil, err
		}
	}
	// The asynq client wraps the shared pool and has nothing of its own to
	// close (its Close refuses a shared connection).
	s.Enqueuer = tasks.NewEnqueuer(asynq.NewClientFromRedisClient(s.Redis.Client))
	s.Registry = prometheus.NewRegistry()
	s.connections = newConnectionCollector(s.DB)
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), s.connections)
	return s, nil
}

// Ready reports whether Redis and the database answer; readiness probes
// call it so a replica cut off from either stops getting traffic.
func (s *Services) Ready(ctx context.Context) error {
	if err := s.Redis.Ping(ctx); err != nil {
		return err
	}
	sqlDB, err := s.DB.DB()
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close releases every part that Open acquired.
func (s *Services) Close() error {
	var errs []error
	if s.DB != nil {
		errs = append(errs, models.Close(s.DB))
	}
	if s.Redis != nil {
		errs = append(errs, s.Redis.Close())
	}
	return errors.Join(errs...)
}

func openRedis(ctx context.Context, cfg config.Config, log *logrus.Entry, role string, allowEmbedded bool) (*Redis, error) {
	if cfg.RedisURL != "" {
		r, err := ConnectRedis(ctx, cfg.RedisURL)
		if err != nil {
			return nil, err
		}
		log.WithField("redis", r.Description).Info("connected to Redis")
		return r, nil
	}
	if !allowEmbedded {
		return nil, cfg.RequireRedis(role)
	}
	r, err := StartEmbeddedRedis()
	if err != nil {
		return nil, err
	}
	log.WithField("redis", r.Description).Warn(config.EnvRedisURL + " is not set: using an embedded Redis, " +
		"which keeps nothing across restarts (queued tasks, retries and schedules are lost when this process stops)")
	return r, nil
}

func openDatabase(ctx context.Context, cfg config.Config, log *logrus.Entry, migrate bool) (*gorm.DB, error) {
	dbLog := log.WithField("database", DescribeDatabase(cfg.DatabaseURL))
	if cfg.DatabaseURL == config.DefaultDatabaseURL {
		dbLog.Info("using the default SQLite database " + config.DefaultDatabaseURL + " (" + config.EnvDatabaseURL + " names another)")
	}
	if migrate {
		return OpenAndMigrateDatabase(ctx, cfg.DatabaseURL, dbLog, MigrationKey(cfg))
	}
	db, err := OpenMigratedDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	dbLog.Info("database schema is current")
	return db, nil
}

// ConnectionDeny is the WUG deny list of cfg; a Config built without
// Load (nil list) gets the default one.
func ConnectionDeny(cfg config.Config) wug.DenyList {
	if cfg.ConnectionDeny == nil {
		return wug.DefaultDenyList()
	}
	return wug.NewDenyList(cfg.ConnectionDeny)
}

// MigrationKey hands the password key to the migrations that re-encrypt
// stored passwords; it is loaded only if one needs it.
func MigrationKey(cfg config.Config) models.MigrateOption {
	return models.WithSealer(func() (*models.Sealer, error) { return models.LoadSealer(cfg) })
}

func loadSealer(cfg config.Config, log *logrus.Entry) (*models.Sealer, error) {
	keyFile := ""
	if parsed, err := config.ParseDatabaseURL(cfg.DatabaseURL); err == nil && parsed.Kind == config.DatabaseSQLite && cfg.SecretKey == "" {
		keyFile = models.KeyFilePath(parsed.DSN)
	}
	_, statErr := os.Stat(keyFile)
	generated := keyFile != "" && errors.Is(statErr, os.ErrNotExist)
	sealer, err := models.LoadSealer(cfg)
	if err != nil {
		return nil, err
	}
	if generated {
		log.WithField("key_file", keyFile).Warn(config.EnvSecretKey + " is not set: generated a key file beside " +
			"the database to encrypt WUG passwords; back it up with the database")
	}
	return sealer, nil
}

// DescribeDatabase names the database for logs and reports without its
// password.
func DescribeDatabase(raw string) string {
	parsed, err := config.ParseDatabaseURL(raw)
	if err != nil {
		return "<invalid>"
	}
	if parsed.Kind == config.DatabaseSQLite {
		return "sqlite " + parsed.DSN
	}
	u, err := url.Parse(raw)
	if err != nil {
		return parsed.Kind
	}
	return safeURL(u) // a PostgreSQL URL may carry password=… in its query
}
