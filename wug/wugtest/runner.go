package wugtest

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/wugsync/wugsync/wug"
)

// defaultCaseTimeout bounds a case when Target.CaseTimeout is zero.
const defaultCaseTimeout = 2 * time.Minute

// Case is one promise of the client, checked against a server. Get cases from ReadOnlyCases
// and SandboxCases and run them with Runner.Run.
type Case struct {
	// Name identifies the case in results (e.g. "device_paging").
	Name string
	// Promise says what the case checks.
	Promise string

	needs    func(Features) (Support, string) // what the profile must support, and its name
	controls string                           // why the case needs Target.Controls, if it does
	sandbox  bool                             // the case changes WUG, inside the sandbox
	fix      string
	run      func(ctx context.Context, r *Runner) (string, error)
}

// needs is a Case.needs for one Support field.
func needs(name string, get func(Features) Support) func(Features) (Support, string) {
	return func(f Features) (Support, string) { return get(f), name }
}

// Runner runs cases against one target with one client, in order, never concurrently. It
// holds what cases share: the client, the exchange counts, the profile, the read-only
// inventory and the sandbox.
type Runner struct {
	target Target
	client *wug.Client

	mu     sync.Mutex
	counts map[string]int // exchanges by operation

	profile     Profile
	profileNote string
	resolved    bool

	inv *inventory
	box *sandbox
}

// NewRunner builds the client for t. It does not contact the server.
func NewRunner(t Target) (*Runner, error) {
	r := &Runner{target: t, counts: map[string]int{}}
	cfg := t.Config
	next := cfg.Observer
	cfg.Observer = func(op string, d time.Duration, err error) {
		r.mu.Lock()
		r.counts[op]++
		r.mu.Unlock()
		if next != nil {
			next(op, d, err)
		}
	}
	client, err := wug.New(cfg)
	if err != nil {
		return nil, err
	}
	r.client = client
	if t.Profile.Name != "" {
		r.profile, r.resolved = t.Profile, true
	}
	return r, nil
}

// count returns how many exchanges of op the client has had.
func (r *Runner) count(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[op]
}

// Profile returns the target's profile, choosing it from the product version when the target
// named none; an unreadable version gives the generic "wug" profile.
func (r *Runner) Profile(ctx context.Context) Profile {
	if r.resolved {
		return r.profile
	}
	info, err := r.client.ProductVersion(ctx)
	if err != nil {
		r.profile = Profiles()[ProfileWUG]
		r.profileNote = "the product version could not be read"
		if isConnectionError(err) {
			return r.profile // try again on the next case
		}
	} else {
		r.profile = ProfileForVersion(info.Version)
		r.profileNote = "chosen from version " + info.Version
	}
	r.resolved = true
	return r.profile
}

func (r *Runner) features(ctx context.Context) Features { return r.Profile(ctx).Features }

// Run runs one case and reports its outcome. It never panics: a panicking case fails.
func (r *Runner) Run(ctx context.Context, c Case) Result {
	res := Result{Name: c.Name}
	if c.controls != "" && r.target.Controls == nil {
		res.Status, res.Detail = StatusNotApplicable, "needs a server the suite controls: "+c.controls
		return res
	}
	if c.sandbox && r.box == nil {
		res.Status, res.Detail = StatusFailed, "no sandbox group: OpenSandbox failed or was not called"
		res.Fix = "run OpenSandbox first and fix what it reports"
		return res
	}
	// The profile is resolved only for cases that need it, so that a login that fails is
	// tried once, by the login case.
	support, feature := Supported, ""
	if c.needs != nil {
		support, feature = c.needs(r.features(ctx))
	}
	if support == Unsupported {
		res.Status = StatusNotApplicable
		res.Detail = fmt.Sprintf("profile %s: %s is not supported by this WUG version", r.profile.Name, feature)
		return res
	}

	timeout := r.target.CaseTimeout
	if timeout <= 0 {
		timeout = defaultCaseTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	detail, err := r.protect(ctx, c)

	var na notApplicable
	switch {
	case err != nil && isConnectionError(err):
		// Whatever the profile says, an unreachable or refusing server is a failure.
		res.Status, res.Detail, res.Fix = StatusFailed, err.Error(), fixFor(err)
	case support == Unknown:
		res.Status = StatusNotApplicable
		probe := "passed: " + detail
		if errors.As(err, &na) {
			probe = "not applicable: " + na.reason
		} else if err != nil {
			probe = "failed: " + err.Error()
		}
		res.Detail = fmt.Sprintf("profile %s leaves %s open (reference/wug-api.md §9); probe %s", r.profile.Name, feature, probe)
	case errors.As(err, &na):
		res.Status, res.Detail = StatusNotApplicable, na.reason
	case err != nil:
		res.Status, res.Detail, res.Fix = StatusFailed, err.Error(), c.fix
	default:
		res.Status, res.Detail = StatusOK, detail
	}
	return res
}

// protect runs the case body, turning a panic into a failure so that the sandbox is still
// cleaned up and the other cases still run.
func (r *Runner) protect(ctx context.Context, c Case) (detail string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("case %s panicked: %v\n%s", c.Name, p, debug.Stack())
		}
	}()
	return c.run(ctx, r)
}

// isConnectionError reports failures of the connection itself (credentials, network, TLS,
// rights), which no profile excuses.
func isConnectionError(err error) bool { return fixFor(err) != "" }

// RunAll runs every read-only case, opens the sandbox, runs every sandbox case and closes the
// sandbox, whatever failed before. It returns the results in that order, the sandbox's
// opening and closing included ("sandbox", "cleanup").
func (r *Runner) RunAll(ctx context.Context) []Result {
	var out []Result
	for _, c := range ReadOnlyCases() {
		out = append(out, r.Run(ctx, c))
	}
	out = append(out, r.OpenSandbox(ctx))
	for _, c := range SandboxCases() {
		out = append(out, r.Run(ctx, c))
	}
	return append(out, r.CloseSandbox(ctx))
}

// CheckReadOnly runs the read-only cases against the WUG of cfg and returns one Result per
// case, in order. It changes nothing on the server, so `wugsync doctor` can run it against
// production. A zero profile is chosen from the product version. When login fails, the
// other cases are reported failed with the same fix, without contacting the server again;
// a configuration the client refuses fails login the same way.
func CheckReadOnly(ctx context.Context, cfg wug.Config, profile Profile) []Result {
	cases := ReadOnlyCases()
	out := make([]Result, 0, len(cases))
	r, err := NewRunner(Target{Config: cfg, Profile: profile})
	for i, c := range cases {
		switch {
		case i == 0 && err != nil:
			out = append(out, Result{Name: c.Name, Status: StatusFailed, Detail: err.Error(),
				Fix: "fix the connection settings: base URL, username, password and TLS options"})
		case i > 0 && out[0].Status == StatusFailed:
			out = append(out, Result{Name: c.Name, Status: StatusFailed, Detail: "not checked: login failed", Fix: out[0].Fix})
		default:
			out = append(out, r.Run(ctx, c))
		}
	}
	return out
}
