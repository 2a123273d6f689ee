package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeCurlBlock is the shell block under README's "Common tasks with
// curl" heading.
func readmeCurlBlock(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, section, found := strings.Cut(string(readme), "\n## Common tasks with curl\n")
	require.True(t, found, "README has no \"Common tasks with curl\" section")
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, found := strings.Cut(section, "\n```sh\n")
	require.True(t, found, "the section has no sh block")
	block, _, found = strings.Cut(block, "\n```\n")
	require.True(t, found, "the sh block does not end")
	return block
}

// TestReadmeCurlBlockRunsAgainstTheDemo runs README's curl block as written,
// top to bottom, against a running demo: every step must answer 2xx (curl
// runs with --fail-with-body) and every value a step takes from the one
// before must be there (jq -e on the answers the test reads back).
func TestReadmeCurlBlockRunsAgainstTheDemo(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "jq"} {
		_, err := exec.LookPath(tool)
		require.NoError(t, err, "README's curl block needs %s: install it (apt-get install -y %s; .ci/run does)", tool, tool)
	}
	block := readmeCurlBlock(t)
	info := startDemo(t) // the inventory a reader gets

	// Every curl fails the script on an HTTP error, and every jq on a null
	// where a value was expected.
	script := `set -euo pipefail
curl() { command curl --fail-with-body --max-time 90 "$@"; }
jq() { command jq -e "$@"; }
` + block + `
echo "NEW=$NEW CONN=$CONN RUN=$RUN ROW=$ROW DEVICE=$DEVICE"
`
	cmd := exec.CommandContext(context.Background(), "bash", "-c", script)
	cmd.Env = append(os.Environ(), "T="+info.APIToken, "API="+info.APIURL)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "README's curl block failed:\n%s", out)
	text := string(out)
	t.Log(text)
	require.Contains(t, text, `"next_export_at"`, "adding a connection says when it first exports")
	require.Contains(t, text, `"ok":true`, "the demo connection's test passes")
	require.Contains(t, text, `"status": "completed"`, "the runs end")
	require.Regexp(t, `NEW=\d+ CONN=\d+ RUN=\d+ ROW=\d+ DEVICE=\d+`, text)
	require.Contains(t, text, `"queued"`, "the retry and the bulk export are queued")
}
