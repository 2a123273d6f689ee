package wugtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wugsync/wugsync/wug"
)

// Environment variables of the opt-in run against a real WUG.
const (
	EnvURL         = "WUGSYNC_TEST_WUG_URL"
	EnvUsername    = "WUGSYNC_TEST_WUG_USERNAME"
	EnvPassword    = "WUGSYNC_TEST_WUG_PASSWORD"
	EnvInsecure    = "WUGSYNC_TEST_WUG_INSECURE"
	EnvProfile     = "WUGSYNC_TEST_WUG_PROFILE"
	EnvScanAddress = "WUGSYNC_TEST_WUG_SCAN_ADDRESS"
)

// Controls are powers over a server beyond its API, which only a test server offers.
// *wugsim.Server has them; a real WUG has none (Target.Controls nil), and the cases that
// need them are NotApplicable there.
type Controls interface {
	// ExpireTokens invalidates every access token, keeping refresh tokens valid.
	ExpireTokens()
	// TokenGrants counts the tokens issued so far by grant type ("password", "refresh_token").
	TokenGrants() map[string]int
}

// Target is one WUG server to run the suite against.
type Target struct {
	// Config is the connection. The Runner adds its own Observer (calling Config.Observer
	// too) to count the exchanges of each case.
	Config wug.Config
	// Profile describes the server; a zero Profile is chosen from the product version.
	Profile Profile
	// Controls, when set, enable the cases that need them.
	Controls Controls
	// ScanAddress is the address the discovery case scans into the sandbox. It must not belong
	// to a device yet (the case checks and does not apply otherwise). Empty picks an address
	// of TEST-NET-1 (RFC 5737), which nothing answers.
	ScanAddress string
	// ScanReachable says the scan will find a device at ScanAddress; the case then expects
	// exactly that device in the sandbox. Otherwise it accepts what the scan adds, as long as
	// it is at ScanAddress and in the sandbox.
	ScanReachable bool
	// ScanPollInterval is the wait between scan status reads; zero reads again at once (the
	// simulator advances a scan per read).
	ScanPollInterval time.Duration
	// ScanPolls bounds the status reads before the case gives up; zero means 60.
	ScanPolls int
	// CaseTimeout bounds each case; zero means 2 minutes.
	CaseTimeout time.Duration
}

// TargetFromEnv builds the real-WUG target from the environment. It returns ok=false when
// WUGSYNC_TEST_WUG_URL is unset: the real run is an explicit opt-in. With the URL set,
// WUGSYNC_TEST_WUG_USERNAME and WUGSYNC_TEST_WUG_PASSWORD are required;
// WUGSYNC_TEST_WUG_INSECURE=1 skips TLS verification (a lab's self-signed certificate);
// WUGSYNC_TEST_WUG_PROFILE names the profile (default: chosen from the product version);
// WUGSYNC_TEST_WUG_SCAN_ADDRESS is an address WUG can reach and does not monitor yet, for the
// discovery case to find a device (default: an unreachable TEST-NET address).
func TargetFromEnv() (Target, bool, error) {
	base := strings.TrimSpace(os.Getenv(EnvURL))
	if base == "" {
		return Target{}, false, nil
	}
	t := Target{
		Config: wug.Config{
			Name:     "contract",
			BaseURL:  base,
			Username: os.Getenv(EnvUsername),
			Password: os.Getenv(EnvPassword),
			Timeout:  30 * time.Second,
		},
		ScanPollInterval: 2 * time.Second,
		ScanPolls:        90,
		CaseTimeout:      5 * time.Minute,
	}
	var missing []string
	if t.Config.Username == "" {
		missing = append(missing, EnvUsername)
	}
	if t.Config.Password == "" {
		missing = append(missing, EnvPassword)
	}
	if len(missing) > 0 {
		return Target{}, true, fmt.Errorf("%s is set, so %s must be set too", EnvURL, strings.Join(missing, " and "))
	}
	if raw := strings.TrimSpace(os.Getenv(EnvInsecure)); raw != "" {
		insecure, err := strconv.ParseBool(raw)
		if err != nil {
			return Target{}, true, fmt.Errorf("%s=%q: want 1, true, 0 or false", EnvInsecure, raw)
		}
		t.Config.InsecureSkipVerify = insecure
	}
	if name := strings.TrimSpace(os.Getenv(EnvProfile)); name != "" {
		p, err := ProfileByName(name)
		if err != nil {
			return Target{}, true, fmt.Errorf("%s: %w", EnvProfile, err)
		}
		t.Profile = p
	}
	if addr := strings.TrimSpace(os.Getenv(EnvScanAddress)); addr != "" {
		t.ScanAddress = addr
		t.ScanReachable = true
	}
	return t, true, nil
}
