package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/bench"
)

func init() { extraCommands = append(extraCommands, newBenchCommand) }

func newBenchCommand() *cobra.Command {
	opts := bench.Options{Out: os.Stdout}
	var sizes, only, cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure wugsync against the targets of BENCHMARKS.md, one BENCH line per scenario",
		Long: `bench runs wugsync end to end against the simulators and prints a Markdown report
(BENCHMARKS.md keeps the latest). Each scenario prints one line a script can read,
"BENCH <name> key=value … n= stack=sqlite|postgres pass=true|false", measured against a
baseline taken in the same run (the straight-line floor, the old plugin's way, the same
export without faults). --quick runs every line at reduced sizes in a few minutes.
It exits non-zero when a line could not be measured (pass=false alone does not).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range strings.Split(sizes, ",") {
				if strings.TrimSpace(s) == "" {
					continue
				}
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || n < 1 {
					return fmt.Errorf("--sizes: %q is not a positive whole number", s)
				}
				opts.Sizes = append(opts.Sizes, n)
			}
			for _, s := range strings.Split(only, ",") {
				if s = strings.TrimSpace(s); s != "" {
					opts.Only = append(opts.Only, s)
				}
			}
			// Worker processes (memory, ratelimit) run this very program.
			if exe, err := os.Executable(); err == nil {
				bench.Binary = exe
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			return bench.Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&sizes, "sizes", "", "inventory sizes of the cold and warm lines, comma separated (default 10000,100000; 10000 with --quick)")
	cmd.Flags().BoolVar(&opts.Quick, "quick", false, "run every line at reduced sizes (under 3 minutes on 2 cores)")
	cmd.Flags().StringVar(&only, "only", "", "run only these lines, comma separated ("+strings.Join(bench.Lines, ", ")+")")
	cmd.Flags().StringVar(&opts.RedisURL, "redis-url", "", "a Redis database to use (it is flushed); empty: embedded miniredis")
	cmd.Flags().StringVar(&opts.DatabaseURL, "database-url", "", "a database to use (its wugsync tables are emptied); empty: temporary SQLite")
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", 20, "asynq concurrency of each worker (20 is production's default; another value is printed on each line)")
	cmd.Flags().IntVar(&opts.RateLimit, "rate-limit", 20, "requests per second of the ratelimit line")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole benchmark to this file")
	cmd.Flags().StringVar(&opts.HeapProfileDir, "heapprofile", "", "write heap profiles of the memory line's worker processes, at their heap's peak, into this directory")
	cmd.Flags().IntVar(&opts.SeedDevices, "seed-devices", 300, "devices for the one-device-per-call baseline")
	return cmd
}
