// Package wugtest is the contract suite of the WUG client (package wug), in the manner of
// Watermill's universal pub/sub tests: one set of cases, each a promise the client makes to
// the export (token and refresh, paging, templates and their idMap, groups and membership,
// search by IP, the delete-then-add attribute upsert, maintenance, delete, discovery scans),
// run against any WhatsUp Gold server, the simulator included.
//
// A Profile says what a WUG version supports or does differently. Cases a profile marks
// Unsupported are reported NotApplicable, never passed. Cases whose behaviour the reference
// (reference/wug-api.md §9) leaves open are marked Unknown: they still run, as a probe, and
// are reported NotApplicable with what the probe observed, so a run against a lab WUG tells
// what to write into that version's profile.
//
// The suite has two parts:
//
//   - ReadOnlyCases read and change nothing (login, product version, device count, listing
//     and paging, the group root, search). CheckReadOnly runs them with plain Results and no
//     testing.T, so `wugsync doctor` can print them.
//   - SandboxCases change WUG, only inside a sandbox group the Runner creates under
//     "My Network" with a unique name (wugsync-contract-<random>). Every device they create
//     lives there, and CloseSandbox deletes each of them, every group below the sandbox and
//     the sandbox itself, whatever happened before. A device found in the sandbox that also
//     belongs to a group outside it is taken out of the sandbox, never deleted. Two cases
//     need Controls, which only a test server offers (expiring tokens, trying a wrong
//     password without locking an account).
//
// The package's own tests run the whole suite against sim/wugsim over real HTTP on every
// `go test`, once per simulator profile. They also run it against a real WUG, as an explicit
// opt-in, when WUGSYNC_TEST_WUG_URL is set (see TargetFromEnv for the other variables):
//
//	WUGSYNC_TEST_WUG_URL=https://wug.lab:9644 WUGSYNC_TEST_WUG_USERNAME=api \
//	WUGSYNC_TEST_WUG_PASSWORD=… WUGSYNC_TEST_WUG_INSECURE=1 WUGSYNC_TEST_WUG_PROFILE=wug-2024 \
//	go test -count=1 -v -run 'TestContract/real' ./wug/wugtest/
//
// Without WUGSYNC_TEST_WUG_URL the real run does not exist at all (it is not a skipped test).
package wugtest
