package netboxsim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// Version profiles the simulator can imitate.
const (
	// Version42 imitates NetBox 4.1–4.2: no counts or _depth in nested
	// roles and platforms, webhook bodies with "model" only, Token auth only.
	Version42 = "4.2"
	// Version44 imitates NetBox 4.4 (4.4.9): nested role/platform counts
	// and _depth, webhook bodies with both "object_type" and "model", 400
	// "Unknown field name" for an unknown custom field. The default.
	Version44 = "4.4"
	// Version45 imitates NetBox 4.5: v2 "Bearer nbt_…" tokens, "Invalid v1
	// token" messages, "owner" on devices, "model" removed from webhooks,
	// unknown custom fields dropped silently (as since 4.4.10).
	Version45 = "4.5"
)

// Default credentials, printed by `wugsync sim netbox` and used by tests
// that do not care about auth.
const (
	// DefaultToken is a v1 key (40 hex characters).
	DefaultToken = "0123456789abcdef0123456789abcdef01234567"
	// DefaultTokenV2 is a v2 token, accepted by the 4.5 profile only.
	DefaultTokenV2 = "nbt_wugsyncsim01.SimulatorSecretTokenValue0123456789abcdefgh"
	// DefaultUsername owns the tokens; it appears in webhooks and the change
	// log.
	DefaultUsername = "admin"
)

// Options configures a Server. The zero value is a 4.4 NetBox with the
// default token and an inventory generated from seed 0 with no devices.
type Options struct {
	// Version is Version42, Version44 (default) or Version45.
	Version string
	// Tokens are accepted with read and write rights. Empty means
	// DefaultToken (and DefaultTokenV2 for 4.5).
	Tokens []string
	// ReadOnlyTokens may read but get 403 on writes.
	ReadOnlyTokens []string
	// ExpiredTokens get 403 "Token expired".
	ExpiredTokens []string
	// TokenPermissions are write-enabled tokens of a user who holds only
	// the listed permissions, by NetBox's names ("dcim.view_device",
	// "dcim.change_device", "extras.add_journalentry"…); any other request
	// gets 403 "You do not have permission to perform this action.".
	// Object-level constraints are not simulated.
	TokenPermissions map[string][]string
	// Username owns every token. Default DefaultUsername.
	Username string

	// Inventory is the starting database. When nil, one is generated from
	// Seed and Devices.
	Inventory *Inventory
	// Seed and Devices drive GenerateInventory when Inventory is nil.
	Seed    int64
	Devices int

	// PaginateCount and MaxPageSize are NetBox's PAGINATE_COUNT (default
	// 50) and MAX_PAGE_SIZE (default 1000).
	PaginateCount int
	MaxPageSize   int

	// WebhookURL, when set, receives the event-rule webhooks for every
	// change (reference §5.4). WebhookSecret signs them (X-Hook-Signature);
	// empty sends no signature, as NetBox does.
	WebhookURL    string
	WebhookSecret string
	// WebhookObjectTypes are the object types the event rule subscribes to.
	// Default dcim.device, ipam.ipaddress and virtualization.virtualmachine.
	WebhookObjectTypes []string
	// WebhookSync delivers each webhook before the mutation returns, so
	// tests need no waiting; WebhookReorderWindow is ignored then.
	WebhookSync bool
	// WebhookDuplicateEvery sends every Nth webhook twice (0: never), as a
	// requeued RQ job would.
	WebhookDuplicateEvery int
	// WebhookReorderWindow holds deliveries until this many are pending and
	// sends them newest first, as several RQ workers may (0 or 1: in order).
	// Flush sends a partial window.
	WebhookReorderWindow int
	// WebhookClient sends the webhooks. Default: a client with a 10 s
	// timeout (NetBox itself has none; the simulator should not hang).
	WebhookClient *http.Client

	// Faults are injected from the start; SetFaults replaces them.
	Faults []FaultRule
	// FaultSeed seeds the random choice for FaultRule.Probability, so a run
	// is repeatable for a given request order.
	FaultSeed int64

	// Now is the clock for last_updated and webhook timestamps. Default
	// time.Now. The simulator keeps timestamps strictly increasing even if
	// the clock stands still.
	Now func() time.Time
}

// Validate reports the first invalid option, naming it.
func (o Options) Validate() error {
	switch o.Version {
	case "", Version42, Version44, Version45:
	default:
		return fmt.Errorf("netboxsim: version %q: want %s, %s or %s", o.Version, Version42, Version44, Version45)
	}
	limited := make([]string, 0, len(o.TokenPermissions))
	for t, perms := range o.TokenPermissions {
		limited = append(limited, t)
		for _, p := range perms {
			if !permissionRE.MatchString(p) {
				return fmt.Errorf("netboxsim: permission %q: want <app>.<action>_<model>, e.g. dcim.change_device", p)
			}
		}
	}
	for _, group := range [][]string{o.Tokens, o.ReadOnlyTokens, o.ExpiredTokens, limited} {
		for _, t := range group {
			if t == "" || containsSpace(t) {
				return fmt.Errorf("netboxsim: token %q is empty or contains whitespace", redact(t))
			}
		}
	}
	if o.Devices < 0 {
		return fmt.Errorf("netboxsim: devices %d: must not be negative", o.Devices)
	}
	if o.PaginateCount < 0 || o.MaxPageSize < 0 {
		return fmt.Errorf("netboxsim: page sizes must not be negative")
	}
	if o.WebhookDuplicateEvery < 0 || o.WebhookReorderWindow < 0 {
		return fmt.Errorf("netboxsim: webhook duplicate/reorder settings must not be negative")
	}
	for _, ot := range o.WebhookObjectTypes {
		if !slices.Contains(knownObjectTypes, ot) {
			return fmt.Errorf("netboxsim: webhook object type %q: want one of %v", ot, knownObjectTypes)
		}
	}
	for i, f := range o.Faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("netboxsim: fault %d: %w", i, err)
		}
	}
	return nil
}

var permissionRE = regexp.MustCompile(`^[a-z_]+\.(view|add|change|delete)_[a-z]+$`)

var knownObjectTypes = []string{"dcim.device", "dcim.site", "ipam.ipaddress", "virtualization.virtualmachine"}

func containsSpace(s string) bool {
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return true
		}
	}
	return false
}

// redact keeps a token recognisable in messages without revealing it.
func redact(t string) string {
	if len(t) <= 8 {
		return "****"
	}
	return t[:4] + "…" + t[len(t)-2:]
}
