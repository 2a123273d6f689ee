package export

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/wugsync/wugsync/netbox"
)

// Fallbacks for a role no rule matches. "Device" is WUG's own default role;
// "Network Device" is the device type the plugin has been creating devices
// with, so existing WUG installations already know it.
const (
	DefaultPrimaryRole = "Device"
	DefaultDeviceType  = "Network Device"
)

// DefaultRoleRules are the rules used when a connection configures none.
// The first matching rule wins, so rules for narrower roles come first: a
// "wireless controller" is not an access point, and a "firewall router" is
// watched as a firewall.
//
// Primary roles are WUG's stock roles (Device, Router, Switch, Firewall,
// Server, Printer, Wireless, Access Point, Load Balancer, UPS…): WUG turns
// any other role into "Device", so an invented role name would be lost.
func DefaultRoleRules() []RoleRule {
	return []RoleRule{
		{Match: []string{"firewall", "fw", "ngfw"}, PrimaryRole: "Firewall", DeviceType: "Firewall"},
		{Match: []string{"load balancer", "loadbalancer", "lb", "adc"}, PrimaryRole: "Load Balancer", DeviceType: "Load Balancer"},
		{Match: []string{"wireless controller", "wireless lan controller", "wlc"}, PrimaryRole: "Wireless", DeviceType: "Wireless LAN Controller"},
		{Match: []string{"access point", "accesspoint", "ap", "wap", "wireless", "wifi", "wlan"}, PrimaryRole: "Access Point", DeviceType: "Wireless Access Point"},
		{Match: []string{"router", "rtr"}, PrimaryRole: "Router", DeviceType: "Router"},
		{Match: []string{"switch", "sw"}, PrimaryRole: "Switch", DeviceType: "Switch"},
		{Match: []string{"server", "srv", "hypervisor", "esxi"}, PrimaryRole: "Server", DeviceType: "Server"},
		{Match: []string{"pdu", "ups", "power"}, PrimaryRole: "UPS", DeviceType: "Power"},
		{Match: []string{"printer", "mfp"}, PrimaryRole: "Printer", DeviceType: "Printer"},
		{Match: []string{"camera", "cctv"}, PrimaryRole: "Device", DeviceType: "Camera"},
	}
}

// ValidateRoleRules checks configured rules: each needs a primary role and
// at least one phrase with a letter or digit in it.
func ValidateRoleRules(rules []RoleRule) error {
	for i, r := range rules {
		if strings.TrimSpace(r.PrimaryRole) == "" {
			return fmt.Errorf("role rule %d: primary_role is required", i+1)
		}
		if !slices.ContainsFunc(r.Match, func(m string) bool { return len(words(m)) > 0 }) {
			return fmt.Errorf("role rule %d (%s): match needs at least one word", i+1, r.PrimaryRole)
		}
	}
	return nil
}

// MapRole returns the WUG primary role and device type for a NetBox role:
// those of the first rule whose phrase appears in the role's slug or name,
// else DefaultPrimaryRole and DefaultDeviceType. A nil rules slice means
// DefaultRoleRules. A rule with no device type gets DefaultDeviceType.
func MapRole(role netbox.Ref, rules []RoleRule) (primaryRole, deviceType string) {
	if len(rules) == 0 {
		rules = DefaultRoleRules()
	}
	r, ok := matchRole(role, rules)
	if !ok {
		return DefaultPrimaryRole, DefaultDeviceType
	}
	primaryRole, deviceType = strings.TrimSpace(r.PrimaryRole), strings.TrimSpace(r.DeviceType)
	if primaryRole == "" {
		primaryRole = DefaultPrimaryRole
	}
	if deviceType == "" {
		deviceType = DefaultDeviceType
	}
	return primaryRole, deviceType
}

// matchRole returns the first rule matching the role.
func matchRole(role netbox.Ref, rules []RoleRule) (RoleRule, bool) {
	slug, name := words(role.Slug), words(role.Name)
	for _, r := range rules {
		for _, m := range r.Match {
			phrase := words(m)
			if containsPhrase(slug, phrase) || containsPhrase(name, phrase) {
				return r, true
			}
		}
	}
	return RoleRule{}, false
}

// words splits text into lower-case words at anything that is not a letter
// or digit, and between a lower-case letter and an upper-case one, so
// "core-switch", "Core Switch" and "CoreSwitch" all give [core switch].
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	prevLower := false
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			flush()
		}
		cur = append(cur, r)
		prevLower = unicode.IsLower(r)
	}
	flush()
	return out
}

// containsPhrase reports whether phrase occurs as consecutive whole words in
// text. The last word may carry an English plural ("switches", "routers").
func containsPhrase(text, phrase []string) bool {
	n := len(phrase)
	if n == 0 {
		return false
	}
	for i := 0; i+n <= len(text); i++ {
		if slices.Equal(text[i:i+n-1], phrase[:n-1]) && pluralOf(text[i+n-1], phrase[n-1]) {
			return true
		}
	}
	return false
}

// pluralOf reports whether word is w or its plural with "s" or "es".
func pluralOf(word, w string) bool {
	return word == w || word == w+"s" || word == w+"es"
}
