package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

func init() {
	extraCommands = append(extraCommands, func() *cobra.Command { return newDemoCommand(osEnvironment()) })
}

// demoExportTimeout bounds each of the demo's runs; the default inventory
// takes seconds.
const demoExportTimeout = 15 * time.Minute

// demoOptions are the flags of `wugsync demo`.
type demoOptions struct {
	once    bool
	devices int
	seed    int64
	addr    string
}

// demoInfo is what a running demo exposes to tests.
type demoInfo struct {
	NetBox     *netboxsim.Server
	NetBoxURL  string
	WUG        *wugsim.Server
	WUGURL     string
	Connection models.WUGConnection
	Export     models.WUGSyncLog
}

// newDemoCommand is `wugsync demo`: `all` plus simulated NetBox and WUG.
func newDemoCommand(env environment) *cobra.Command {
	var opts demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run everything with simulated NetBox and WUG, export once and show what happened",
		Long: `Starts "all" together with a simulated NetBox (a generated inventory: 500
devices in a dozen sites across three regions, awkward cases included) and a
simulated WhatsUp Gold, on free local ports. It creates a WUG connection, runs a
dry run and an export, prints what was created and skipped and the resulting WUG
group tree, and then keeps serving: change a device in the simulated NetBox (the
printed curl command) and watch it change in the simulated WUG.

The database is a temporary SQLite file, removed at exit, unless
WUGSYNC_DATABASE_URL is set; Redis is embedded unless WUGSYNC_REDIS_URL is set.
--once exits after the export, for scripts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.devices < 1 || opts.devices > 100_000 {
				return fmt.Errorf("--devices: %d is not between 1 and 100000", opts.devices)
			}
			ctx, stop := interruptContext(cmd.Context())
			defer stop()
			return runDemo(ctx, env, cmd.OutOrStdout(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.once, "once", false, "exit after the export instead of serving until Ctrl-C")
	f.IntVar(&opts.devices, "devices", 500, "devices in the simulated NetBox")
	f.Int64Var(&opts.seed, "seed", 1, "seed of the generated inventory (same seed, same inventory)")
	f.StringVar(&opts.addr, "addr", "127.0.0.1:8080", "API listen address; a free port is used when it is taken")
	return cmd
}

func runDemo(ctx context.Context, env environment, out io.Writer, opts demoOptions) (err error) {
	sims, err := startSimulators(opts.devices, opts.seed)
	if err != nil {
		return err
	}
	defer sims.close()

	overrides := map[string]string{
		config.EnvNetBoxURL:   sims.netboxURL,
		config.EnvNetBoxToken: netboxsim.DefaultToken,
		config.EnvHTTPAddr:    opts.addr,
	}
	if _, set := env.lookup(config.EnvLogLevel); !set {
		overrides[config.EnvLogLevel] = "warn" // the report is the demo's output
	}
	tempDB := ""
	if _, set := env.lookup(config.EnvDatabaseURL); !set {
		dir, err := os.MkdirTemp("", "wugsync-demo-")
		if err != nil {
			return fmt.Errorf("demo database directory: %w", err)
		}
		defer os.RemoveAll(dir)
		tempDB = filepath.Join(dir, "wugsync.db")
		overrides[config.EnvDatabaseURL] = "sqlite://" + tempDB
	}
	cfg, err := config.LoadRole(func(name string) (string, bool) {
		if v, ok := overrides[name]; ok {
			return v, true
		}
		return env.lookup(name)
	}, config.RoleDemo)
	if err != nil {
		return err
	}
	generatedToken, err := ensureAPIToken(&cfg)
	if err != nil {
		return err
	}
	if cfg.WebhookSecret == "" {
		if cfg.WebhookSecret, err = process.NewSecret(); err != nil {
			return err
		}
	}
	log := config.NewLogger(cfg, "demo")

	ln, fellBack, err := process.ListenOrFallback(opts.addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if fellBack {
		fmt.Fprintf(out, "%s is in use: the API listens on %s instead\n", opts.addr, ln.Addr())
	}
	st, err := startStack(ctx, cfg, log, "demo", ln, 0)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.stop(ctx)) }()
	sims.netbox.SetWebhookTarget(st.url()+webhookPath, cfg.WebhookSecret)

	conn, err := createDemoConnection(ctx, st.svc, sims)
	if err != nil {
		return err
	}
	dryRun, err := runDemoExport(ctx, st.svc, conn, true)
	if err != nil {
		return err
	}
	export, err := runDemoExport(ctx, st.svc, conn, false)
	if err != nil {
		return err
	}
	st.startScheduler() // after the demo's own export, which makes the first periodic one unnecessary

	report, err := buildDemoReport(ctx, st.svc, sims, dryRun, export)
	if err != nil {
		return err
	}
	report.Redis = st.svc.Redis
	report.TempDatabase = tempDB
	report.write(out)
	if export.Status != models.RunCompleted {
		return fmt.Errorf("export run %d ended %s: %s", export.ID, export.Status, export.ErrorMessage)
	}
	writeDemoNextSteps(out, demoNextSteps{
		APIURL: st.url(), APIToken: cfg.APITokens[0], TokenGenerated: generatedToken,
		NetBoxURL: sims.netboxURL, WUGURL: sims.wugURL, Device: report.SampleDevice, Once: opts.once,
	})
	env.notifyStarted(startedInfo{
		APIURL: st.url(), APIToken: cfg.APITokens[0], Services: st.svc,
		Demo: &demoInfo{NetBox: sims.netbox, NetBoxURL: sims.netboxURL, WUG: sims.wug, WUGURL: sims.wugURL,
			Connection: conn, Export: export},
	})
	if opts.once {
		return nil
	}
	return st.wait(ctx)
}

// webhookPath is the API route NetBox event rules post to.
const webhookPath = "/api/v1/webhooks/netbox"

// createDemoConnection points a WUG connection at the WUG simulator over
// plain HTTP with its default credentials. Groups follow {region}/{site}, so
// the tree shows the inventory's shape. A database kept from an earlier demo
// may hold the name already; a number is added then.
func createDemoConnection(ctx context.Context, svc *process.Services, sims *simulators) (models.WUGConnection, error) {
	conn := models.NewWUGConnection()
	conn.Host, conn.Port, conn.UseSSL = "127.0.0.1", sims.wugPort, false
	conn.Username = wugsim.DefaultUsername
	conn.GroupTemplate = "{region}/{site}"
	conn.NetBoxWriteback = true       // the WUG device id lands in NetBox's wug_device_id field
	conn.ExportVirtualMachines = true // the inventory has VMs; show them beside devices
	// The simulator is local and fast; the defaults protect real servers.
	conn.RateLimitPerSecond, conn.MaxConcurrentRequests = 200, 8
	if err := conn.SetPassword(svc.Sealer, wugsim.DefaultPassword); err != nil {
		return conn, err
	}
	for n := 1; n <= 100; n++ {
		conn.ID, conn.Name = 0, "demo-wug"
		if n > 1 {
			conn.Name = fmt.Sprintf("demo-wug-%d", n)
		}
		if err := conn.Validate(); err != nil {
			return conn, fmt.Errorf("demo connection: %w", err)
		}
		err := svc.DB.WithContext(ctx).Create(&conn).Error
		if err == nil {
			return conn, nil
		}
		if !models.IsUniqueViolation(err) {
			return conn, fmt.Errorf("create demo connection: %w", err)
		}
	}
	return conn, errors.New("create demo connection: demo-wug … demo-wug-100 all exist; use an empty database")
}

// runDemoExport starts a run of conn and waits for it to end.
func runDemoExport(ctx context.Context, svc *process.Services, conn models.WUGConnection, dryRun bool) (models.WUGSyncLog, error) {
	run, err := tasks.StartExport(ctx, models.NewStore(svc.DB), svc.Enqueuer, tasks.ExportRequest{
		ConnectionID: conn.ID, Trigger: models.TriggerManual, DryRun: dryRun,
	})
	if err != nil {
		return run, fmt.Errorf("start export of %q: %w", conn.Name, err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, demoExportTimeout)
	defer cancel()
	run, err = tasks.WaitRunEnded(waitCtx, svc.Redis.Client, svc.DB, run.ID)
	if err != nil {
		return run, fmt.Errorf("wait for run %d: %w", run.ID, err)
	}
	return run, nil
}
