// Package cli describes the wugsync command line — every subcommand and its
// flags — so that checks which cannot build the binary (the deployment
// manifests' test) can tell a real invocation from a typo. A test in
// cmd/wugsync keeps this description equal to the cobra commands.
package cli

import (
	"slices"
	"strings"
)

// Command is one subcommand: its path below the binary ("worker",
// "sim netbox") and the names of its own flags, without dashes.
type Command struct {
	Path  string
	Flags []string
}

// Commands lists every wugsync subcommand with its flags.
func Commands() []Command {
	return []Command{
		{Path: "all", Flags: []string{"shutdown-timeout"}},
		{Path: "api"},
		{Path: "bench", Flags: []string{"concurrency", "cpuprofile", "database-url", "heapprofile", "only", "quick", "rate-limit", "redis-url", "seed-devices", "sizes"}},
		{Path: "demo", Flags: []string{"addr", "devices", "once", "seed"}},
		{Path: "doctor", Flags: []string{"connection"}},
		{Path: "healthcheck", Flags: []string{"timeout", "url"}},
		{Path: "migrate"},
		{Path: "netbox-setup", Flags: []string{"connection", "webhook-url"}},
		{Path: "scheduler", Flags: []string{"health-addr"}},
		{Path: "sim"},
		{Path: "sim netbox", Flags: []string{"addr", "devices", "seed", "token", "version", "webhook-secret", "webhook-url"}},
		{Path: "sim wug", Flags: []string{"addr", "cert-out", "group", "page-limit", "password", "scan-polls", "tls", "token-lifetime", "username"}},
		{Path: "worker", Flags: []string{"health-addr", "heap-profile", "shutdown-timeout"}},
		{Path: "version"},
	}
}

// Lookup finds the subcommand an argument list starts with, the longest
// path first ("sim wug" before "sim"), and returns it with the arguments
// that follow it.
func Lookup(args []string) (Command, []string, bool) {
	cmds := Commands()
	slices.SortFunc(cmds, func(a, b Command) int { return len(strings.Fields(b.Path)) - len(strings.Fields(a.Path)) })
	for _, c := range cmds {
		words := strings.Fields(c.Path)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return c, args[len(words):], true
		}
	}
	return Command{}, nil, false
}

// HasFlag reports whether the command takes the flag name (without dashes).
// Cobra's help flag is accepted everywhere.
func (c Command) HasFlag(name string) bool {
	return name == "help" || slices.Contains(c.Flags, name)
}
