package export

import (
	"fmt"
	"strings"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// SiteInfo is what a group path needs about the device's site that the
// site nested in a device lacks. The caller looks the site up by d.Site.ID
// (netbox.Client.ListSites, once per run).
type SiteInfo struct {
	// Region is the site's region name, "" when the site has none.
	Region string
}

// standIns are the group names used when a device has no value for a
// placeholder; their keys are the placeholders a template may use.
var standIns = map[string]string{
	"site":         "No Site",
	"region":       "No Region",
	"tenant":       "No Tenant",
	"role":         "No Role",
	"platform":     "No Platform",
	"location":     "No Location",
	"status":       "No Status",
	"manufacturer": "No Manufacturer",
	"cluster":      "No Cluster",
}

// placeholderValue is the device's raw value for a known placeholder.
func placeholderValue(key string, d Object, site SiteInfo) (string, error) {
	switch key {
	case "site":
		return refName(key, &d.Site)
	case "region":
		return site.Region, nil
	case "tenant":
		return refName(key, d.Tenant)
	case "role":
		return refName(key, &d.Role)
	case "platform":
		return refName(key, d.Platform)
	case "location":
		return refName(key, d.Location)
	case "status":
		return statusLabel(d.Status), nil
	case "manufacturer":
		return refName(key, &d.DeviceType.Manufacturer)
	case "cluster":
		return refName(key, d.Cluster)
	}
	return "", fmt.Errorf("unknown placeholder {%s}", key)
}

// placeholderList is the known placeholders in the order the docs give them,
// for error messages.
const placeholderList = "{site} {region} {tenant} {role} {platform} {location} {status} {manufacturer} {cluster}"

// GroupTemplateError is a group template that cannot be used. The API turns
// it into a 400 naming the group_template field.
type GroupTemplateError struct {
	Template string
	// Level is the 1-based "/"-separated level at fault, 0 for the template
	// as a whole.
	Level   int
	Problem string
}

// Error names the template, the level and the problem.
func (e *GroupTemplateError) Error() string {
	if e.Level > 0 {
		return fmt.Sprintf("group template %q: level %d: %s", e.Template, e.Level, e.Problem)
	}
	return fmt.Sprintf("group template %q: %s", e.Template, e.Problem)
}

// segment is literal text or, when key is set, a placeholder.
type segment struct {
	literal string
	key     string
}

// GroupTemplate is a parsed group template such as "{region}/{site}". Parse
// it once per run with ParseGroupTemplate and call Path per device.
type GroupTemplate struct {
	levels [][]segment
}

// NeedsRegion reports whether the template uses {region}. A device's nested
// site carries no region, so only then must the caller look regions up.
func (gt GroupTemplate) NeedsRegion() bool {
	for _, level := range gt.levels {
		for _, seg := range level {
			if seg.key == "region" {
				return true
			}
		}
	}
	return false
}

// ParseGroupTemplate parses a template of "/"-separated levels, each
// literal text mixed with placeholders ({site} {region} {tenant} {role}
// {platform} {location} {status} {manufacturer} {cluster}), e.g. "{region}/{site}" or
// "Datacenters/{site} - {role}". A leading "My Network" level is accepted
// and dropped: every path already starts there.
func ParseGroupTemplate(t string) (GroupTemplate, error) {
	fail := func(level int, format string, args ...any) (GroupTemplate, error) {
		return GroupTemplate{}, &GroupTemplateError{Template: t, Level: level, Problem: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(t) == "" {
		return fail(0, "is empty (e.g. {site})")
	}
	var levels [][]segment
	for i, raw := range strings.Split(t, "/") {
		level, err := parseLevel(raw)
		if err != nil {
			return fail(i+1, "%s", err)
		}
		if isBlankLevel(level) {
			return fail(i+1, "is empty (remove the extra \"/\")")
		}
		levels = append(levels, level)
	}
	if isRootLevel(levels[0]) {
		levels = levels[1:]
	}
	if len(levels) == 0 {
		return fail(0, "names only %q; add at least one level below it, e.g. {site}", wug.RootGroupName)
	}
	return GroupTemplate{levels: levels}, nil
}

// parseLevel splits one level into literal and placeholder segments.
func parseLevel(raw string) ([]segment, error) {
	var segs []segment
	rest := raw
	for rest != "" {
		literal, after, opened := strings.Cut(rest, "{")
		if strings.Contains(literal, "}") {
			return nil, fmt.Errorf("%q has a \"}\" without a \"{\"", raw)
		}
		if literal != "" {
			segs = append(segs, segment{literal: literal})
		}
		if !opened {
			break
		}
		inner, next, closed := strings.Cut(after, "}")
		if !closed {
			return nil, fmt.Errorf("%q has a \"{\" without a closing \"}\"", raw)
		}
		if strings.Contains(inner, "{") {
			return nil, fmt.Errorf("%q has a \"{\" inside a placeholder", raw)
		}
		key := strings.ToLower(strings.TrimSpace(inner))
		if _, ok := standIns[key]; !ok {
			return nil, fmt.Errorf("unknown placeholder %q (known: %s)", "{"+inner+"}", placeholderList)
		}
		segs = append(segs, segment{key: key})
		rest = next
	}
	return segs, nil
}

func isBlankLevel(level []segment) bool {
	for _, s := range level {
		if s.key != "" || strings.TrimSpace(s.literal) != "" {
			return false
		}
	}
	return true
}

func isRootLevel(level []segment) bool {
	return len(level) == 1 && level[0].key == "" && strings.EqualFold(cleanText(level[0].literal), wug.RootGroupName)
}

// MaxGroupDepth is how many levels below "My Network" a group template the
// API accepts may have: deeper trees are a typo or an attempt to make every
// device cost a chain of group creations.
const MaxGroupDepth = 8

// maxGroupTemplateLength bounds the template text the API accepts.
const maxGroupTemplateLength = 500

// ValidateGroupTemplate checks a template without a device, for the API to
// refuse a bad group_template before it is stored: it must parse, have at
// most MaxGroupDepth levels, and no level may be "." or "..", which read as
// a path trick rather than a group name. Stored templates are parsed
// without these limits, so an upgrade does not stop an existing export.
func ValidateGroupTemplate(t string) error {
	if len(t) > maxGroupTemplateLength {
		return &GroupTemplateError{Template: t, Problem: fmt.Sprintf("is longer than %d characters", maxGroupTemplateLength)}
	}
	gt, err := ParseGroupTemplate(t)
	if err != nil {
		return err
	}
	if len(gt.levels) > MaxGroupDepth {
		return &GroupTemplateError{Template: t, Problem: fmt.Sprintf("has %d levels; at most %d are allowed below %q", len(gt.levels), MaxGroupDepth, wug.RootGroupName)}
	}
	for i, raw := range strings.Split(t, "/") {
		if name := strings.TrimSpace(raw); name == "." || name == ".." {
			return &GroupTemplateError{Template: t, Level: i + 1, Problem: fmt.Sprintf("%q is not a group name", name)}
		}
	}
	return nil
}

// GroupPath is ParseGroupTemplate followed by Path.
func GroupPath(template string, d netbox.Device, site SiteInfo) ([]string, error) {
	gt, err := ParseGroupTemplate(template)
	if err != nil {
		return nil, err
	}
	return gt.Path(d, site)
}

// Path returns the device's group path below "My Network", one name per
// level. Values are cleaned (whitespace collapsed, "/" replaced by "-" so a
// site called "DC 1/2" cannot add a level), an empty value becomes a
// readable stand-in ("No Tenant") rather than an empty group name, and each
// name is capped at 100 characters.
//
// It fails when a needed object is known only by id (a webhook snapshot), as
// filing the device under a stand-in would move it to the wrong group.
func (gt GroupTemplate) Path(d netbox.Device, site SiteInfo) ([]string, error) {
	return gt.objectPath(DeviceObject(d), site)
}

// objectPath is Path for a device or a virtual machine.
func (gt GroupTemplate) objectPath(d Object, site SiteInfo) ([]string, error) {
	path := make([]string, 0, len(gt.levels))
	for _, level := range gt.levels {
		var b strings.Builder
		for _, s := range level {
			if s.key == "" {
				b.WriteString(s.literal)
				continue
			}
			v, err := placeholderValue(s.key, d, site)
			if err != nil {
				return nil, fmt.Errorf("group path {%s}: %w", s.key, err)
			}
			v = cleanText(strings.ReplaceAll(v, "/", "-"))
			if v == "" {
				v = standIns[s.key]
			}
			b.WriteString(v)
		}
		path = append(path, Truncate(cleanText(b.String()), maxGroupName))
	}
	return path, nil
}

// WUGGroup turns a path from Path into WUG's template group reference: the
// last level is the group, the levels above it (from "My Network") its
// parents.
func WUGGroup(path []string) wug.GroupRef {
	if len(path) == 0 {
		return wug.GroupRef{Name: wug.RootGroupName}
	}
	parents := make([]string, 0, len(path))
	parents = append(parents, wug.RootGroupName)
	parents = append(parents, path[:len(path)-1]...)
	return wug.GroupRef{Name: path[len(path)-1], Parents: parents}
}

// refName is the display name of a related object, "" when there is none,
// and an error when NetBox sent only its id.
func refName(what string, r *netbox.Ref) (string, error) {
	if r == nil {
		return "", nil
	}
	for _, v := range []string{r.Name, r.Display, r.Slug} {
		if strings.TrimSpace(v) != "" {
			return v, nil
		}
	}
	if r.ID != 0 {
		return "", fmt.Errorf("%s %d is known only by id; fetch the full device", what, r.ID)
	}
	return "", nil
}

// statusLabel is the status as NetBox shows it ("Active"), or its value when
// an admin removed the choice and the label came back empty.
func statusLabel(c netbox.Choice) string {
	if strings.TrimSpace(c.Label) != "" {
		return c.Label
	}
	return c.Value
}
