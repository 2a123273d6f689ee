// Command wugsync keeps WhatsUp Gold monitoring in step with NetBox. One
// binary runs every role (api, worker, scheduler, …) as a subcommand; this
// package only wires configuration to the packages that do the work.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		printError(os.Stderr, err)
		os.Exit(1)
	}
}

// printError writes each line of err (configuration errors carry one line
// per problem) as its own "wugsync: " line.
func printError(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			fmt.Fprintln(w, "wugsync: "+line)
		}
	}
}
