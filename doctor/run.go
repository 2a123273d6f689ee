package doctor

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// Params say what to check.
type Params struct {
	// Config is the configuration as config.Load read it; ConfigErr is its
	// error, whose problems are reported as failed checks.
	Config    config.Config
	ConfigErr error
	// ConnectionID limits the WUG and filter checks to one connection
	// (active or not); 0 checks every active connection.
	ConnectionID uint
	// Now is this machine's clock; nil means time.Now. Tests move it to
	// see the clock checks fail.
	Now func() time.Time
	// MaxSkew is the largest clock difference that passes; 0 means
	// DefaultMaxSkew.
	MaxSkew time.Duration
	// NetBoxWriteRights checks NetBox write permissions without writing,
	// where the NetBox API offers a way; nil reports them as not checked.
	NetBoxWriteRights RightsProbe
}

// RightsProbe is the extension point for a read-only permission check (for
// NetBox, reading the token's permissions where the API exposes them). It
// returns the status, what it saw and the fix; NotChecked when it cannot
// tell.
type RightsProbe func(ctx context.Context, nb *netbox.Client) (Status, string, string)

// run is one doctor run: the report and what later checks need from
// earlier ones.
type run struct {
	p      Params
	report Report
	now    func() time.Time

	db      *gorm.DB
	dbErr   string // why the database could not be read, for the checks that need it
	conns   []models.WUGConnection
	sealer  *models.Sealer
	samples []namedSample
}

// namedSample is a clock reading of one server, named for the report.
type namedSample struct {
	name   string
	sample clockSample
}

// Run makes every check and returns the report. It never writes: no
// migration, no key file, no request to NetBox or WUG besides reads (and
// WUG's token request).
func Run(ctx context.Context, p Params) Report {
	r := &run{p: p, now: p.Now}
	if r.now == nil {
		r.now = time.Now
	}
	if r.p.MaxSkew <= 0 {
		r.p.MaxSkew = DefaultMaxSkew
	}
	defer func() {
		if r.db != nil {
			_ = models.Close(r.db)
		}
	}()
	r.configuration()
	r.database(ctx)
	r.redis(ctx)
	r.netbox(ctx)
	r.wug(ctx)
	r.clocks()
	return r.report
}

func (r *run) section(name string) section { return section{name: name, report: &r.report} }

func (r *run) clock(name string, s clockSample) {
	r.samples = append(r.samples, namedSample{name: name, sample: s})
}

// configuration reports the problems config.Load found.
func (r *run) configuration() {
	s := r.section("Configuration")
	problems := config.Problems(r.p.ConfigErr)
	if len(problems) == 0 && r.p.ConfigErr != nil {
		s.fail("variables", r.p.ConfigErr.Error(), "fix the variable named above")
		return
	}
	for _, p := range problems {
		s.fail(p.Variable, p.Problem, "set "+p.Variable+" to a valid value (see README, Configuration)")
	}
	if len(problems) == 0 {
		s.pass("variables", "every WUGSYNC_* variable that is set is valid")
	}
}

// invalid reports whether the configuration check already failed variable,
// so the checks that need it say so instead of failing on it again.
func (r *run) invalid(variable string) bool {
	return config.Problems(r.p.ConfigErr).Has(variable)
}

// scope returns the connections the WUG and filter checks look at.
func (r *run) scope() []models.WUGConnection {
	var out []models.WUGConnection
	for _, c := range r.conns {
		if (r.p.ConnectionID == 0 && c.IsActive) || c.ID == r.p.ConnectionID {
			out = append(out, c)
		}
	}
	return out
}

// clocks compares every clock read along the way with this machine's.
func (r *run) clocks() {
	s := r.section("Clocks (compared with this machine)")
	if len(r.samples) == 0 {
		s.skip("clocks", "no other server answered with its time", "")
		return
	}
	for _, ns := range r.samples {
		clockCheck(s, ns.name, ns.sample, r.p.MaxSkew)
	}
}
