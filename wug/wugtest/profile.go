package wugtest

import (
	"fmt"
	"sort"
	"strings"
)

// Support says whether a WUG version does what a case checks.
type Support int

// Support levels. Unknown is the zero value on purpose: a feature nobody has confirmed for a
// version is probed, not assumed.
const (
	// Unknown means the reference leaves the behaviour open for this version: the case runs as
	// a probe and is reported NotApplicable with what it saw.
	Unknown Support = iota
	// Supported means the version is known to behave as the case expects.
	Supported
	// Unsupported means the version lacks it: the case is NotApplicable and does not run.
	Unsupported
)

// String names the level for results and logs.
func (s Support) String() string {
	switch s {
	case Supported:
		return "supported"
	case Unsupported:
		return "unsupported"
	}
	return "unknown"
}

// GroupMiss is what WUG does with a template that names a group it does not have, next to
// one it has (wug-api.md §9.4).
type GroupMiss string

// Answers to a template's unknown group. The empty value means nobody knows yet.
const (
	// GroupMissWarning: the device is created in the groups that exist, and the template gets
	// an errors entry next to its idMap entry.
	GroupMissWarning GroupMiss = "warning"
	// GroupMissError: the template fails as a whole; no device.
	GroupMissError GroupMiss = "error"
)

// Features describe one WUG version, feature by feature. Each field cites the reference
// section its value rests on; the cases say which fields they need.
type Features struct {
	// PageSize is the most items the server returns in one page whatever limit the client
	// asks (the client asks wug.MaxPageSize); 0 means unknown (§3.2, §9.8). With a known small
	// page size the paging cases also check the exact number of pages.
	PageSize int
	// RefreshGrant: POST /token with grant_type=refresh_token renews a session (§2.3).
	RefreshGrant Support
	// DeviceCountDetail: GET /device-groups/0?view=detail reports details.deviceDescendantCount,
	// which the client's DeviceCount reads (§4.7, spec only).
	DeviceCountDetail Support
	// TemplateGroupByName: a template's groups:[{name}] places the new device in the oldest
	// group of that name (§4.1).
	TemplateGroupByName Support
	// TemplateGroupPath: groups:[{name, parents:["My Network", …]}] places the device in a
	// nested group (§4.1, open in §9.3). The export places every device this way.
	TemplateGroupPath Support
	// TemplateRejection: a template WUG cannot apply (here: two default interfaces, "only one
	// per device") comes back in errors[] under its templateId with no idMap entry, while the
	// other templates of the batch are created (§4.1, open in §9.4).
	TemplateRejection Support
	// MissingTemplateGroup is what a template naming an unknown group gets (§9.4).
	MissingTemplateGroup GroupMiss
	// UniqueGroupNames: creating a second child group with the same name under one parent is
	// refused (§4.7, spec only).
	UniqueGroupNames Support
	// LastStaticGroup: removing a device from its last static group is refused (§4.7, spec
	// only).
	LastStaticGroup Support
	// AttributeUpsert: PATCH /devices/{id}/attributes/- deletes attributeNamesToDelete
	// (case-insensitively) before it adds attributesToAdd, so one request is an upsert
	// (§4.4, spec only; WhatsUpGoldPS upserts one attribute at a time instead).
	AttributeUpsert Support
	// MaintenanceState: a device in maintenance reports bestState/worstState "Maintenance"
	// (§4.6).
	MaintenanceState Support
	// MissingDeviceNotFound: GET or DELETE of a device that does not exist answers 404
	// (open in §9.9).
	MissingDeviceNotFound Support
	// DiscoveryScan: PATCH /device-groups/{id}/newDevice starts a scan whose status and
	// devices can be read (§4.8).
	DiscoveryScan Support
	// ScanCompletion: the scan status shows completion in a way the client's Scan.Done
	// recognises (phase, progress 100, or every found device complete; open in §9.7).
	ScanCompletion Support
}

// Profile names a WUG version (or a simulator configuration) and its features.
type Profile struct {
	// Name is how WUGSYNC_TEST_WUG_PROFILE and ProfileByName refer to it.
	Name string
	// Description says what the profile rests on.
	Description string
	// VersionPrefixes are prefixes of the product version this profile describes (e.g.
	// "2024."); empty for profiles chosen by hand (the simulator's).
	VersionPrefixes []string
	// Features are what the version supports, feature by feature.
	Features Features
}

// Matches reports whether version (from /product/version) belongs to this profile.
func (p Profile) Matches(version string) bool {
	version = strings.TrimSpace(version)
	for _, prefix := range p.VersionPrefixes {
		if strings.HasPrefix(version, prefix) {
			return true
		}
	}
	return false
}

// Profile names.
const (
	ProfileSimulator             = "simulator"
	ProfileSimulatorStrictGroups = "simulator-strict-groups"
	ProfileWUG2024               = "wug-2024"
	ProfileWUG2026               = "wug-2026"
	ProfileWUG                   = "wug"
)

// clientConfirmed holds what a real client (WhatsUpGoldPS, whose live test harness targets
// the 2024 documentation) has exercised against live servers; everything else is Unknown.
func clientConfirmed() Features {
	return Features{
		RefreshGrant:        Supported,
		TemplateGroupByName: Supported,
		MaintenanceState:    Supported,
		DiscoveryScan:       Supported,
	}
}

// SimulatorFeatures are the features of sim/wugsim with default options and the given page
// limit (wugsim.Options.PageLimit; 0 means its default of 250): everything, with warnings for
// unknown template groups.
func SimulatorFeatures(pageLimit int) Features {
	if pageLimit <= 0 {
		pageLimit = 250
	}
	return Features{
		PageSize:              pageLimit,
		RefreshGrant:          Supported,
		DeviceCountDetail:     Supported,
		TemplateGroupByName:   Supported,
		TemplateGroupPath:     Supported,
		TemplateRejection:     Supported,
		MissingTemplateGroup:  GroupMissWarning,
		UniqueGroupNames:      Supported,
		LastStaticGroup:       Supported,
		AttributeUpsert:       Supported,
		MaintenanceState:      Supported,
		MissingDeviceNotFound: Supported,
		DiscoveryScan:         Supported,
		ScanCompletion:        Supported,
	}
}

// Profiles returns every built-in profile, by name. The simulator profiles assume the
// simulator's default page limit; a test that lowers it sets Features.PageSize to match.
func Profiles() map[string]Profile {
	strict := SimulatorFeatures(0)
	strict.MissingTemplateGroup = GroupMissError

	wug2026 := clientConfirmed()
	// The 2026.0 specification is the official contract: what it states is taken as
	// supported on 2026 servers. What it leaves open (§9) stays Unknown.
	wug2026.DeviceCountDetail = Supported
	wug2026.UniqueGroupNames = Supported
	wug2026.LastStaticGroup = Supported
	wug2026.AttributeUpsert = Supported

	return map[string]Profile{
		ProfileSimulator: {
			Name:        ProfileSimulator,
			Description: "sim/wugsim with default options: every feature, unknown template groups are a warning",
			Features:    SimulatorFeatures(0),
		},
		ProfileSimulatorStrictGroups: {
			Name:        ProfileSimulatorStrictGroups,
			Description: "sim/wugsim with StrictGroups: a template naming an unknown group fails as a whole",
			Features:    strict,
		},
		ProfileWUG2024: {
			Name: ProfileWUG2024,
			Description: "WhatsUp Gold 2024: what WhatsUpGoldPS's live test harness (2024 documentation) exercised; " +
				"what only the 2026 specification states, and everything wug-api.md §9 leaves open, is probed",
			VersionPrefixes: []string{"2024", "24."},
			Features:        clientConfirmed(),
		},
		ProfileWUG2026: {
			Name: ProfileWUG2026,
			Description: "WhatsUp Gold 2026: the 2026.0 specification plus what live clients confirmed; " +
				"what wug-api.md §9 leaves open is probed",
			VersionPrefixes: []string{"2026", "26."},
			Features:        wug2026,
		},
		ProfileWUG: {
			Name:        ProfileWUG,
			Description: "a WhatsUp Gold version no profile describes: only what live clients confirmed, the rest probed",
			Features:    clientConfirmed(),
		},
	}
}

// ProfileByName returns the named built-in profile.
func ProfileByName(name string) (Profile, error) {
	profiles := Profiles()
	if p, ok := profiles[strings.TrimSpace(name)]; ok {
		return p, nil
	}
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return Profile{}, fmt.Errorf("unknown WUG profile %q; known profiles: %s", name, strings.Join(names, ", "))
}

// ProfileForVersion picks the profile of a product version, or the generic "wug" profile when
// no profile claims it.
func ProfileForVersion(version string) Profile {
	profiles := Profiles()
	for _, name := range []string{ProfileWUG2026, ProfileWUG2024} {
		if p := profiles[name]; p.Matches(version) {
			return p
		}
	}
	return profiles[ProfileWUG]
}
