// Package reliability holds wugsync's fault-injection tests: they build the
// wugsync binary once, run its roles as real processes on loopback against
// simulated NetBox and WUG servers, and then kill workers, restart Redis or
// cut database connections in the middle of an export, asserting that the
// export still ends exact. The package has no code of its own; RELIABILITY.md
// records what the tests inject and what they measure.
package reliability
