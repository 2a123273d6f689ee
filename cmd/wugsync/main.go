// Command wugsync keeps WhatsUp Gold monitoring in step with NetBox. One
// binary runs every role (api, worker, scheduler, …) as a subcommand; this
// package only wires configuration to the packages that do the work.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "wugsync: "+err.Error())
		os.Exit(1)
	}
}
