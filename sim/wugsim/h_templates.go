package wugsim

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Limits from the DeviceTemplate schema.
const (
	maxDisplayName    = 150
	maxAttributeName  = 150
	maxAttributeValue = 3000
	minPollInterval   = 10
	maxPollInterval   = 84600
)

// knownRoles are the stock WUG roles; any other primaryRole falls back to "Device".
var knownRoles = map[string]string{}

func init() {
	for _, r := range []string{"Device", "Router", "Switch", "Firewall", "Server", "Workstation", "Printer",
		"Wireless", "Access Point", "Load Balancer", "Virtual Host", "Storage", "Hypervisor", "UPS", "Unix", "Windows"} {
		knownRoles[strings.ToLower(r)] = r
	}
}

type templateBatch struct {
	Options   lStrings       `json:"options"`
	Templates []templateBody `json:"templates"`
}

type templateBody struct {
	TemplateID   lString  `json:"templateId"`
	DisplayName  lString  `json:"displayName"`
	DeviceType   lString  `json:"deviceType"`
	SNMPOID      lString  `json:"snmpOid"`
	SNMPPort     lString  `json:"snmpPort"`
	PollInterval lInt     `json:"pollInterval"`
	PrimaryRole  lString  `json:"primaryRole"`
	SubRoles     lStrings `json:"subRoles"`
	OS           lString  `json:"os"`
	Brand        lString  `json:"brand"`
	ActionPolicy lString  `json:"actionPolicy"`
	Note         lString  `json:"note"`
	AutoRefresh  lBool    `json:"autoRefresh"`
	Credentials  []struct {
		CredentialType lString `json:"credentialType"`
		Credential     lString `json:"credential"`
	} `json:"credentials"`
	Interfaces []struct {
		DefaultInterface     lBool   `json:"defaultInterface"`
		PollUsingNetworkName lBool   `json:"pollUsingNetworkName"`
		NetworkAddress       lString `json:"networkAddress"`
		NetworkName          lString `json:"networkName"`
	} `json:"interfaces"`
	Attributes []struct {
		Name  lString `json:"name"`
		Value lString `json:"value"`
	} `json:"attributes"`
	CustomLinks []struct {
		Name  lString `json:"name"`
		Value lString `json:"value"`
	} `json:"customLinks"`
	ActiveMonitors []struct {
		ClassID lString `json:"classId"`
		Name    lString `json:"name"`
	} `json:"activeMonitors"`
	Groups []struct {
		Name    lString  `json:"name"`
		Parents lStrings `json:"parents"`
		ID      lString  `json:"id"`
	} `json:"groups"`
}

type idMapEntry struct {
	TemplateID string `json:"templateId"`
	ResultID   string `json:"resultId"`
}

type templateError struct {
	TemplateID string   `json:"templateId"`
	Messages   []string `json:"messages"`
}

// handleApplyTemplates is PATCH /devices/-/config/template. Every valid template creates a
// new device; nothing is matched against existing devices (WUG's documented and observed
// behaviour). Invalid templates are reported in data.errors with HTTP 200; templates that can
// only be partly applied create the device and also get an errors entry (a warning).
func (s *Server) handleApplyTemplates(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	var batch templateBatch
	if err := decodeBody(r, &batch); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	result := map[string]any{}
	idMap := []idMapEntry{}
	errs := []templateError{}
	for i, t := range batch.Templates {
		tid := strings.TrimSpace(string(t.TemplateID))
		if tid == "" {
			tid = strconv.Itoa(i) // "the system will assign one if needed"
		}
		d, messages := s.buildDevice(t)
		if d != nil {
			d.templateID = tid
			s.st.insertDevice(d)
			idMap = append(idMap, idMapEntry{TemplateID: tid, ResultID: idString(d.id)})
		}
		if len(messages) > 0 {
			errs = append(errs, templateError{TemplateID: tid, Messages: messages})
		}
	}
	result["idMap"] = idMap
	result["errors"] = errs
	result["operations"] = len(batch.Templates)
	result["successful"] = len(idMap)
	if hasOption(batch.Options, "update") && len(idMap) > 0 {
		var targets []string
		for _, m := range idMap {
			id, _ := parseID(m.ResultID)
			targets = append(targets, s.st.devices[id].networkAddress())
		}
		sc := s.st.newScan("refresh", rootGroupID, targets, scanOptions{}, s.now())
		result["update"] = map[string]any{"success": true, "id": sc.id, "name": sc.name, "description": sc.description}
	}
	writeData(w, result)
}

func hasOption(options []string, want string) bool {
	for _, o := range options {
		if strings.EqualFold(strings.TrimSpace(o), want) {
			return true
		}
	}
	return false
}

// buildDevice validates a template and builds its device, or returns nil when the template
// cannot be applied at all. Messages for a non-nil device are warnings. s.mu must be held.
func (s *Server) buildDevice(t templateBody) (*device, []string) {
	var fatal, warnings []string
	name := strings.TrimSpace(string(t.DisplayName))
	switch {
	case name == "":
		fatal = append(fatal, "displayName is required.")
	case len([]rune(name)) > maxDisplayName:
		fatal = append(fatal, fmt.Sprintf("displayName must be at most %d characters.", maxDisplayName))
	}
	if len(t.Interfaces) == 0 {
		fatal = append(fatal, "At least one interface is required.")
	}
	defaults := 0
	for i, iface := range t.Interfaces {
		address := strings.TrimSpace(string(iface.NetworkAddress))
		if _, err := netip.ParseAddr(address); err != nil {
			fatal = append(fatal, fmt.Sprintf("Interface %d: networkAddress %q must be a valid ip address.", i, string(iface.NetworkAddress)))
		}
		if slices.Contains(s.opts.RejectTemplates, address) {
			fatal = append(fatal, "Device could not be created: the license device limit has been reached.")
		}
		if iface.DefaultInterface.or(false) {
			defaults++
		}
	}
	if defaults > 1 {
		fatal = append(fatal, "Only one interface may be the default interface.")
	}
	groupIDs, groupMessages := s.resolveTemplateGroups(t)
	if s.opts.StrictGroups {
		fatal = append(fatal, groupMessages...)
	} else {
		warnings = append(warnings, groupMessages...)
	}
	if len(fatal) > 0 {
		return nil, fatal
	}

	now := s.now()
	d := &device{
		name: name, deviceType: firstNonEmpty(string(t.DeviceType), "Workstation"), snmpOID: string(t.SNMPOID),
		brand: firstNonEmpty(string(t.Brand), "Not Set"), os: firstNonEmpty(string(t.OS), "Not Set"), note: string(t.Note),
		actionPolicy: string(t.ActionPolicy), keepDetailsCurrent: t.AutoRefresh.or(true), state: StateUp,
		groups: map[int]bool{}, source: SourceTemplate, created: now, lastChange: now,
	}
	d.role = "Device"
	if role, ok := knownRoles[strings.ToLower(strings.TrimSpace(string(t.PrimaryRole)))]; ok {
		d.role = role
	}
	for _, sr := range t.SubRoles {
		if role, ok := knownRoles[strings.ToLower(strings.TrimSpace(sr))]; ok {
			d.subRoles = append(d.subRoles, role)
		}
	}
	if t.PollInterval.set {
		if v := t.PollInterval.val; v >= minPollInterval && v <= maxPollInterval {
			d.pollInterval = int(v)
		} else {
			warnings = append(warnings, fmt.Sprintf("pollInterval %d is outside %d to %d; the default is used.", v, minPollInterval, maxPollInterval))
		}
	}
	for i, iface := range t.Interfaces {
		addr := netip.MustParseAddr(strings.TrimSpace(string(iface.NetworkAddress))).String()
		isDefault := iface.DefaultInterface.or(false) || (defaults == 0 && i == 0)
		host := firstNonEmpty(strings.TrimSpace(string(iface.NetworkName)), addr)
		d.interfaces = append(d.interfaces, s.st.newInterface(addr, host, isDefault, iface.PollUsingNetworkName.or(false)))
		if isDefault {
			d.hostName = host
		}
	}
	for i, a := range t.Attributes {
		an, av := strings.TrimSpace(string(a.Name)), string(a.Value)
		switch {
		case an == "":
			warnings = append(warnings, fmt.Sprintf("Attribute %d has no name and was skipped.", i))
		case len([]rune(an)) > maxAttributeName || len([]rune(av)) > maxAttributeValue:
			warnings = append(warnings, fmt.Sprintf("Attribute %q is too long and was skipped.", an))
		default:
			d.attributes = append(d.attributes, s.st.newAttribute(an, av))
		}
	}
	for _, m := range t.ActiveMonitors {
		mn := strings.TrimSpace(string(m.Name))
		if !s.monitors[strings.ToLower(mn)] {
			warnings = append(warnings, fmt.Sprintf("Active monitor %q was not found.", mn))
			continue
		}
		d.activeMonitors = append(d.activeMonitors, mn)
	}
	for _, c := range t.Credentials {
		d.credentials = append(d.credentials, string(c.CredentialType)+":"+string(c.Credential))
	}
	for _, l := range t.CustomLinks {
		d.customLinks = append(d.customLinks, [2]string{string(l.Name), string(l.Value)})
	}
	for _, gid := range groupIDs {
		d.groups[gid] = true
	}
	if len(d.groups) == 0 {
		d.groups[s.st.defaultGroup().id] = true
	}
	return d, warnings
}

// resolveTemplateGroups resolves DeviceTemplateReferenceName entries: by id, by name with
// parents (the path from "My Network", matched case-insensitively; a path that does not start
// with "My Network" is taken as starting below it), or by name alone (the oldest group of that
// name). It returns static group ids and a message per reference it could not use.
func (s *Server) resolveTemplateGroups(t templateBody) ([]int, []string) {
	var ids []int
	var messages []string
	for _, ref := range t.Groups {
		name := strings.TrimSpace(string(ref.Name))
		var g *group
		switch {
		case strings.TrimSpace(string(ref.ID)) != "":
			if id, ok := parseID(string(ref.ID)); ok {
				g = s.st.groups[id]
			}
		case len(ref.Parents) > 0:
			path := append([]string(nil), ref.Parents...)
			path = append(path, name)
			if strings.EqualFold(strings.TrimSpace(path[0]), RootGroupName) {
				path = path[1:]
			}
			g = s.st.groupByPath(trimAll(path))
		case strings.EqualFold(name, RootGroupName):
			g = s.st.groups[rootGroupID]
		case name != "":
			g = s.st.oldestGroupNamed(name)
		}
		label := name
		if len(ref.Parents) > 0 {
			label = strings.Join(append(append([]string(nil), ref.Parents...), name), "/")
		}
		if label == "" {
			label = string(ref.ID)
		}
		switch {
		case g == nil:
			messages = append(messages, fmt.Sprintf("Group %q was not found.", label))
		case g.kind != groupStatic:
			messages = append(messages, fmt.Sprintf("Group %q is not a static group.", label))
		default:
			ids = append(ids, g.id)
		}
	}
	return ids, messages
}

func trimAll(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}
