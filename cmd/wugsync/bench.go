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
	var sizes, cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure exports, WUG calls per device and the shared rate limit against baselines taken in the same run",
		Long: `bench runs wugsync end to end against the simulators and prints a Markdown report
(BENCHMARKS.md keeps the latest). Each figure comes with its baseline measured in the
same run: a straight-line export loop, and the old plugin's one-device-per-call approach.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range strings.Split(sizes, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || n < 1 {
					return fmt.Errorf("--sizes: %q is not a positive whole number", s)
				}
				opts.Sizes = append(opts.Sizes, n)
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
	cmd.Flags().StringVar(&sizes, "sizes", "1000,10000", "inventory sizes of the export benchmark, comma separated (add 100000 for the full set)")
	cmd.Flags().StringVar(&opts.RedisURL, "redis-url", "", "a Redis database to use (it is flushed); empty: embedded miniredis")
	cmd.Flags().StringVar(&opts.DatabaseURL, "database-url", "", "a database to use (its wugsync tables are emptied); empty: temporary SQLite")
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", 20, "asynq concurrency of each worker server")
	cmd.Flags().IntVar(&opts.RateLimit, "rate-limit", 50, "requests per second for the rate-limit benchmark")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole benchmark to this file")
	cmd.Flags().IntVar(&opts.SeedDevices, "seed-devices", 300, "devices for the one-device-per-call baseline")
	return cmd
}
