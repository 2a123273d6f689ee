// Package export is the pure domain logic of the NetBox→WhatsUp Gold export:
// which NetBox devices are selected, which primary addresses WUG may monitor,
// where a device goes in WUG's group tree, what the WUG device template says,
// what changed since the last export, and every decision about an object:
// create, update, adopt, skip or decommission (Decide, Classify), with the
// reason a person reads and the counters a run shows (Tally). It owns the
// vocabulary those decisions use (statuses, reasons, actions, outcomes);
// models stores it verbatim.
//
// The package does no I/O and imports no database or queue. Workers fetch
// NetBox devices, read the store and call WUG; they ask this package what
// to do and store what it decided. Everything here is deterministic for a
// given device and configuration, so the same device always maps to the same
// Fields and the same Fields always hash to the same value: that is what lets
// an unchanged device cost no WUG call at all. A changed one costs the calls
// its diff needs (UpdatePlan.DeviceCalls), and a device found in WUG is
// compared with what WUG showed of it (Held) rather than rewritten.
//
// The mapping rules are DESIGN.md §6. Compared with the netbox-wug-sync
// plugin it replaces, it validates IPv4 and IPv6 (rejecting link-local,
// unspecified, broadcast and reserved addresses the plugin let through),
// supports nested groups, matches roles on whole words instead of
// substrings, attaches NetBox's facts as WUG attributes and truncates to
// WUG's limits without breaking UTF-8.
package export
