// Package export is the pure domain logic of the NetBox→WhatsUp Gold export:
// which NetBox devices are selected, which primary addresses WUG may monitor,
// where a device goes in WUG's group tree, what the WUG device template says,
// and what changed since the last export.
//
// The package does no I/O. Workers fetch NetBox devices and call WUG; they
// ask this package what to send. Everything here is deterministic for a
// given device and configuration, so the same device always maps to the same
// Fields and the same Fields always hash to the same value: that is what lets
// an unchanged device cost no WUG call at all.
//
// The mapping rules are DESIGN.md §6. Compared with the netbox-wug-sync
// plugin it replaces, it validates IPv4 and IPv6 (rejecting link-local,
// unspecified, broadcast and reserved addresses the plugin let through),
// supports nested groups, matches roles on whole words instead of
// substrings, attaches NetBox's facts as WUG attributes and truncates to
// WUG's limits without breaking UTF-8.
package export
