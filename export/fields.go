package export

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
)

// Fields is the flat view of everything wugsync writes to WUG for one
// device. It is stored as JSON beside the device's export row and compared
// with the next run's Fields: equal Fields mean no WUG call, different ones
// say exactly which WUG updates to make (Changes.Update).
type Fields struct {
	DisplayName string `json:"display_name"`
	IPAddress   string `json:"ip_address"`
	NetworkName string `json:"network_name"`
	// GroupPath is the group below "My Network", top level first.
	GroupPath   []string          `json:"group_path"`
	PrimaryRole string            `json:"primary_role"`
	DeviceType  string            `json:"device_type"`
	Brand       string            `json:"brand"`
	OS          string            `json:"os"`
	Note        string            `json:"note"`
	Attributes  map[string]string `json:"attributes"`
}

// hashVersion starts the hashed encoding. Changing what Hash covers must
// change it, so that stored hashes stop matching on purpose rather than by
// accident.
const hashVersion = "wugsync.export.fields/v1"

// Hash is a stable SHA-256 (hex) of f. Attribute order does not matter and a
// nil slice or map hashes like an empty one, so Fields that went through a
// JSON round trip keep their hash.
//
// The encoding is length-prefixed, so no choice of values can make two
// different Fields encode alike (a "/" inside a group name is not a level
// separator, "a=b" is not an attribute split).
func (f Fields) Hash() string {
	// The encoding is built in one buffer and hashed once: it is what
	// fmt.Fprintf(h, "%d:%s;", len(s), s) wrote piece by piece before, byte
	// for byte (TestHashIsStableAcrossReleases), at a fraction of the cost,
	// which a cold export paid twice a device (plan and batch).
	buf := make([]byte, 0, 512)
	put := func(s string) {
		buf = strconv.AppendInt(buf, int64(len(s)), 10)
		buf = append(buf, ':')
		buf = append(buf, s...)
		buf = append(buf, ';')
	}
	count := func(label string, n int) {
		buf = append(buf, label...)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(n), 10)
		buf = append(buf, ';')
	}
	put(hashVersion)
	for _, s := range []string{f.DisplayName, f.IPAddress, f.NetworkName, f.PrimaryRole, f.DeviceType, f.Brand, f.OS, f.Note} {
		put(s)
	}
	count("group", len(f.GroupPath))
	for _, level := range f.GroupPath {
		put(level)
	}
	names := slices.Sorted(maps.Keys(f.Attributes))
	count("attributes", len(names))
	for _, name := range names {
		put(name)
		put(f.Attributes[name])
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}
