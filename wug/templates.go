package wug

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf16"
)

const templatePath = "/api/v1/devices/-/config/template"

// MaxDisplayName is WUG's limit on displayName (reference/wug-api.md §4.1),
// counted as TextLen counts.
const MaxDisplayName = 150

// TextLen is the length of s as WUG counts it: WUG is a .NET server, so a
// "max length" counts UTF-16 code units, and a character outside the Basic
// Multilingual Plane (most emoji) counts twice. An invalid byte counts as
// the one unit of the U+FFFD WUG would receive.
func TextLen(s string) int {
	n := 0
	for _, r := range s {
		if u := utf16.RuneLen(r); u > 0 {
			n += u
		} else {
			n++
		}
	}
	return n
}

// ApplyTemplates creates one new device per template (PATCH /devices/-/config/template) and
// returns the outcome of every template by TemplateID. WUG never matches an existing device,
// so callers must look devices up first (FindDevicesByIP).
//
// Templates are sent in requests of at most MaxBatchSize. A template the client can already
// see is invalid (no display name, no valid interface address) is reported as failed without
// being sent. Empty or duplicate template ids are a caller bug and fail the whole call.
// When a request fails, the returned map still holds the results of earlier requests, whose
// devices exist.
//
// While its last request waits for the rate limiter, JoinTemplates calls of this client may
// add their templates to it, up to MaxBatchSize in all.
func (c *Client) ApplyTemplates(ctx context.Context, templates []DeviceTemplate, options ...TemplateOption) (map[string]TemplateResult, error) {
	return c.applyTemplates(ctx, templates, options, false)
}

// JoinTemplates is ApplyTemplates for templates that need not go in a request of their own:
// they join a template request of this client that is waiting for the rate limiter and has
// room for all of them (ApplyTemplates), and share its answer, or else go in a request of
// their own that later joiners may join in turn. It is meant for resends after a failed
// call: a few templates that would otherwise cost a whole request of the server's budget.
//
// A joined request that fails returns its error to every joiner, as if each had sent it: a
// 500 or a lost answer may have created any of its devices. A caller whose ctx ends while
// its request waits gets off it unsent; once sent, it gets ctx's error and must treat the
// request as unanswered.
func (c *Client) JoinTemplates(ctx context.Context, templates []DeviceTemplate, options ...TemplateOption) (map[string]TemplateResult, error) {
	return c.applyTemplates(ctx, templates, options, true)
}

func (c *Client) applyTemplates(ctx context.Context, templates []DeviceTemplate, options []TemplateOption, join bool) (map[string]TemplateResult, error) {
	req := request{op: OpApplyTemplates, method: http.MethodPatch, path: templatePath}
	results := make(map[string]TemplateResult, len(templates))
	seen := make(map[string]bool, len(templates))
	valid := make([]DeviceTemplate, 0, len(templates))
	for i, t := range templates {
		if strings.TrimSpace(t.TemplateID) == "" {
			return nil, c.errorf(req, "template %d (%q): templateId is required", i, t.DisplayName)
		}
		if seen[t.TemplateID] {
			return nil, c.errorf(req, "template %d: templateId %q is used twice", i, t.TemplateID)
		}
		seen[t.TemplateID] = true
		if problem := checkTemplate(t); problem != "" {
			results[t.TemplateID] = TemplateResult{TemplateID: t.TemplateID, Errors: []string{problem}}
			continue
		}
		valid = append(valid, t)
	}
	opts := make([]string, 0, len(options))
	for _, o := range options {
		opts = append(opts, string(o))
	}
	if len(opts) == 0 {
		opts = []string{string(OptionAll)}
	}
	if join && len(valid) > 0 {
		joined, sent, err := c.rides.join(ctx, opts, valid)
		if sent || err != nil {
			for id, res := range joined {
				results[id] = res
			}
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				what := "wait to join a template request"
				if sent {
					what = "joined template request sent, its answer not awaited"
				}
				return results, fmt.Errorf("wug %q: %s: %s: %w", c.name, req.op, what, err)
			}
			return results, err
		}
	}
	for start := 0; start < len(valid); start += MaxBatchSize {
		batch := valid[start:min(start+MaxBatchSize, len(valid))]
		var ride *templateRide
		if start+len(batch) == len(valid) {
			ride = c.rides.offer(opts, len(batch))
		}
		if err := c.applyBatch(ctx, req, batch, opts, results, ride); err != nil {
			return results, err
		}
	}
	return results, nil
}

// checkTemplate returns why WUG would refuse t, or "".
func checkTemplate(t DeviceTemplate) string {
	name := strings.TrimSpace(t.DisplayName)
	switch {
	case name == "":
		return "displayName is required"
	case TextLen(name) > MaxDisplayName:
		return fmt.Sprintf("displayName is longer than %d characters", MaxDisplayName)
	case len(t.Interfaces) == 0:
		return "at least one interface is required"
	}
	for i, iface := range t.Interfaces {
		if _, err := netip.ParseAddr(strings.TrimSpace(iface.NetworkAddress)); err != nil {
			return fmt.Sprintf("interface %d: networkAddress %q is not an IP address", i, iface.NetworkAddress)
		}
	}
	for i, a := range t.Attributes {
		if strings.TrimSpace(a.Name) == "" {
			return fmt.Sprintf("attribute %d: name is required", i)
		}
	}
	return ""
}

// applyBatch sends one template request and records every template's result in results.
// ride, when not nil, is the request's offer to joiners (templateRides): they are added when
// the limiter lets the request go, and get their results, or its error, when it ends.
func (c *Client) applyBatch(ctx context.Context, req request, batch []DeviceTemplate, opts []string, results map[string]TemplateResult, ride *templateRide) (err error) {
	wire := wireTemplateBatch{Options: opts, Templates: make([]wireTemplate, len(batch))}
	for i, t := range batch {
		wire.Templates[i] = toWireTemplate(t)
	}
	req.body = wire
	if ride != nil {
		own := len(batch)
		req.atSend = func() ([]byte, error) {
			extra := c.rides.seal(ride)
			batch = append(batch[:own:own], extra...)
			wire.Templates = wire.Templates[:own]
			for _, t := range extra {
				wire.Templates = append(wire.Templates, toWireTemplate(t))
			}
			return json.Marshal(wire)
		}
		defer func() {
			c.rides.finish(ride, results, err)
			for _, t := range batch[own:] {
				delete(results, t.TemplateID) // the joiners' own, not the caller's
			}
		}()
	}
	body, err := c.call(ctx, req)
	if err != nil {
		return err
	}
	data, err := unwrapData(body)
	if err != nil {
		return c.protocolError(req, body, "decode apply-template result", err)
	}
	var res wireApplyResult
	if err := json.Unmarshal(data, &res); err != nil {
		return c.protocolError(req, body, "decode apply-template result", err)
	}
	byID := make(map[string]*TemplateResult, len(batch))
	for _, t := range batch {
		byID[t.TemplateID] = &TemplateResult{TemplateID: t.TemplateID}
	}
	for _, m := range res.IDMap {
		if r, ok := byID[string(m.TemplateID)]; ok && m.ResultID != "" {
			r.DeviceID = string(m.ResultID)
			r.OK = true
		}
	}
	var general []string
	for _, raw := range res.Errors {
		var entry wireTemplateError
		if err := json.Unmarshal(raw, &entry); err == nil {
			msgs := append([]string(nil), entry.Messages...)
			if entry.Message != "" {
				msgs = append(msgs, string(entry.Message))
			}
			if r, ok := byID[string(entry.TemplateID)]; ok {
				r.Errors = append(r.Errors, msgs...)
				continue
			}
			general = append(general, msgs...)
			continue
		}
		var s flexString
		if json.Unmarshal(raw, &s) == nil && s != "" {
			general = append(general, string(s))
		}
	}
	for _, t := range batch {
		r := byID[t.TemplateID]
		if !r.OK {
			r.Errors = append(r.Errors, general...)
			if len(r.Errors) == 0 {
				r.Errors = []string{"WUG returned neither a device id nor an error for this template"}
			}
		}
		results[t.TemplateID] = *r
	}
	return nil
}

type wireTemplateBatch struct {
	Options   []string       `json:"options"`
	Templates []wireTemplate `json:"templates"`
}

type wireTemplate struct {
	TemplateID     string                  `json:"templateId"`
	DisplayName    string                  `json:"displayName"`
	DeviceType     string                  `json:"deviceType,omitempty"`
	SNMPOID        string                  `json:"snmpOid,omitempty"`
	PollInterval   string                  `json:"pollInterval,omitempty"`
	PrimaryRole    string                  `json:"primaryRole,omitempty"`
	SubRoles       []string                `json:"subRoles,omitempty"`
	OS             string                  `json:"os,omitempty"`
	Brand          string                  `json:"brand,omitempty"`
	ActionPolicy   string                  `json:"actionPolicy,omitempty"`
	Note           string                  `json:"note,omitempty"`
	AutoRefresh    string                  `json:"autoRefresh,omitempty"`
	Credentials    []wireCredential        `json:"credentials,omitempty"`
	Interfaces     []wireTemplateInterface `json:"interfaces"`
	Attributes     []wireNameValue         `json:"attributes"`
	CustomLinks    []wireNameValue         `json:"customLinks,omitempty"`
	ActiveMonitors []wireMonitor           `json:"activeMonitors"`
	Groups         []wireGroupRef          `json:"groups,omitempty"`
}

type wireCredential struct {
	CredentialType string `json:"credentialType"`
	Credential     string `json:"credential"`
}

type wireTemplateInterface struct {
	DefaultInterface     bool   `json:"defaultInterface"`
	PollUsingNetworkName bool   `json:"pollUsingNetworkName"`
	NetworkAddress       string `json:"networkAddress"`
	NetworkName          string `json:"networkName"`
}

type wireNameValue struct {
	Name  flexString `json:"name"`
	Value flexString `json:"value"`
}

type wireMonitor struct {
	ClassID string `json:"classId"`
	Name    string `json:"name"`
}

type wireGroupRef struct {
	Name    string   `json:"name,omitempty"`
	Parents []string `json:"parents,omitempty"`
	ID      string   `json:"id,omitempty"`
}

func toWireTemplate(t DeviceTemplate) wireTemplate {
	w := wireTemplate{
		TemplateID:     t.TemplateID,
		DisplayName:    strings.TrimSpace(t.DisplayName),
		DeviceType:     t.DeviceType,
		SNMPOID:        t.SNMPOID,
		PrimaryRole:    t.PrimaryRole,
		SubRoles:       t.SubRoles,
		OS:             t.OS,
		Brand:          t.Brand,
		ActionPolicy:   t.ActionPolicy,
		Note:           t.Note,
		Interfaces:     make([]wireTemplateInterface, len(t.Interfaces)),
		Attributes:     make([]wireNameValue, len(t.Attributes)),
		ActiveMonitors: make([]wireMonitor, len(t.ActiveMonitors)),
	}
	if t.PollInterval > 0 {
		w.PollInterval = strconv.Itoa(int(t.PollInterval.Seconds()))
	}
	if t.AutoRefresh != nil {
		w.AutoRefresh = strconv.FormatBool(*t.AutoRefresh)
	}
	for _, cr := range t.Credentials {
		w.Credentials = append(w.Credentials, wireCredential{CredentialType: cr.Type, Credential: cr.Name})
	}
	hasDefault := false
	for _, iface := range t.Interfaces {
		hasDefault = hasDefault || iface.Default
	}
	for i, iface := range t.Interfaces {
		name := iface.NetworkName
		if name == "" {
			name = iface.NetworkAddress
		}
		w.Interfaces[i] = wireTemplateInterface{
			// WUG wants exactly one default interface; without one the first is it.
			DefaultInterface:     iface.Default || (!hasDefault && i == 0),
			PollUsingNetworkName: iface.PollUsingNetworkName,
			NetworkAddress:       strings.TrimSpace(iface.NetworkAddress),
			NetworkName:          name,
		}
	}
	for i, a := range t.Attributes {
		w.Attributes[i] = wireNameValue{Name: flexString(a.Name), Value: flexString(a.Value)}
	}
	for _, l := range t.CustomLinks {
		w.CustomLinks = append(w.CustomLinks, wireNameValue{Name: flexString(l.Name), Value: flexString(l.Value)})
	}
	for i, m := range t.ActiveMonitors {
		w.ActiveMonitors[i] = wireMonitor{ClassID: m.ClassID, Name: m.Name}
	}
	for _, g := range t.Groups {
		w.Groups = append(w.Groups, wireGroupRef{Name: g.Name, Parents: g.Parents, ID: g.ID})
	}
	return w
}

type wireApplyResult struct {
	IDMap []struct {
		TemplateID flexString `json:"templateId"`
		ResultID   flexString `json:"resultId"`
	} `json:"idMap"`
	Errors     []json.RawMessage `json:"errors"`
	Operations flexInt           `json:"operations"`
	Successful flexInt           `json:"successful"`
}

type wireTemplateError struct {
	TemplateID flexString  `json:"templateId"`
	Messages   flexStrings `json:"messages"`
	Message    flexString  `json:"message"`
}
