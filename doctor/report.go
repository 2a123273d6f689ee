package doctor

import (
	"fmt"
	"io"
	"strings"
)

// Status is the outcome of one check.
type Status string

// Check outcomes. NotChecked is neither a pass nor a failure: doctor could
// not make the check without writing, or the server cannot show it (a
// managed Redis that disables CONFIG), and Detail says which.
const (
	Pass       Status = "pass"
	Fail       Status = "fail"
	NotChecked Status = "not_checked"
)

// Mark is the symbol a report prints for the status.
func (s Status) Mark() string {
	switch s {
	case Pass:
		return "✔"
	case Fail:
		return "✘"
	}
	return "?"
}

// Check is one line of the report.
type Check struct {
	// Section groups checks: "NetBox https://…", `WUG connection "lab"`.
	Section string `json:"section"`
	// Name says what was checked ("token", "maxmemory-policy").
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail is what doctor saw: a version, a count, the error.
	Detail string `json:"detail,omitempty"`
	// Fix tells a person what to do; set on failures and on checks not made.
	Fix string `json:"fix,omitempty"`
}

// Report is every check of one doctor run, in order.
type Report struct {
	Checks []Check `json:"checks"`
}

// Count returns how many checks ended with s.
func (r Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Write prints the report: a heading per section, a line per check with its
// mark, the fix below a failure or a check not made, and a summary.
func (r Report) Write(w io.Writer) error {
	var b strings.Builder
	section := ""
	for _, c := range r.Checks {
		if c.Section != section {
			if section != "" {
				b.WriteString("\n")
			}
			section = c.Section
			b.WriteString(section + "\n")
		}
		line := "  " + c.Status.Mark() + " " + c.Name
		if c.Detail != "" {
			line += ": " + c.Detail
		}
		b.WriteString(line + "\n")
		if c.Fix != "" && c.Status != Pass {
			b.WriteString("      fix: " + c.Fix + "\n")
		}
	}
	fmt.Fprintf(&b, "\n%d passed, %d failed, %d not checked\n", r.Count(Pass), r.Count(Fail), r.Count(NotChecked))
	_, err := io.WriteString(w, b.String())
	return err
}

// section collects the checks of one section.
type section struct {
	name   string
	report *Report
}

func (s section) add(name string, status Status, detail, fix string) {
	s.report.Checks = append(s.report.Checks, Check{Section: s.name, Name: name, Status: status, Detail: detail, Fix: fix})
}

func (s section) pass(name, detail string)      { s.add(name, Pass, detail, "") }
func (s section) fail(name, detail, fix string) { s.add(name, Fail, detail, fix) }
func (s section) skip(name, detail, fix string) { s.add(name, NotChecked, detail, fix) }
