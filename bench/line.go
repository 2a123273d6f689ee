package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Result is one scenario's outcome, printed as one BENCH line that a
// script can read: "BENCH <name> key=value … n= stack= pass=". Figures
// hold the scenario's measurements in print order (its target's figures
// first: ratio=, growth=, mean_pct=, peak=, limit=, writes=, reads=,
// calls_per_device=); Settings hold every setting that differs from
// production, so a reader knows what was not measured as deployed.
type Result struct {
	Name     string
	N        int
	Stack    string // "sqlite" or "postgres"
	Figures  []Figure
	Settings []Figure
	Pass     bool
}

// Figure is one key=value pair of a BENCH line.
type Figure struct{ Key, Value string }

// Fig builds a Figure, formatting floats with two decimals and anything
// else with %v; values never contain spaces (they are replaced by "_").
func Fig(key string, value any) Figure {
	var s string
	switch v := value.(type) {
	case float64:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	case float32:
		s = strconv.FormatFloat(float64(v), 'f', 2, 32)
	default:
		s = fmt.Sprint(v)
	}
	return Figure{Key: key, Value: strings.ReplaceAll(s, " ", "_")}
}

// Line is the BENCH line of the result, without a trailing newline.
func (r Result) Line() string {
	var b strings.Builder
	b.WriteString("BENCH ")
	b.WriteString(r.Name)
	for _, f := range r.Figures {
		fmt.Fprintf(&b, " %s=%s", f.Key, f.Value)
	}
	for _, f := range r.Settings {
		fmt.Fprintf(&b, " %s=%s", f.Key, f.Value)
	}
	fmt.Fprintf(&b, " n=%d stack=%s pass=%t", r.N, r.Stack, r.Pass)
	return b.String()
}
