// Package wugsim is an in-process WhatsUp Gold REST API v1 server for tests, the demo and
// benchmarks. It implements the part of the API the export uses, as reference/wug-api.md
// describes it: OAuth2 password and refresh grants, template-based device creation (a new
// device every time, as on a real server), substring device search with capped, opaque paging,
// the group tree rooted at "My Network" (id 0) with its membership rules, maintenance mode,
// attributes, interfaces, discovery scans that progress as they are polled, and 404/405 for
// routes and verbs the real API does not have.
//
// Faults can be injected per route, at construction or at run time: a share of 500s, 429 or
// 503 with Retry-After, added latency, requests held until the client gives up, malformed
// bodies and token expiry. Fault shares are applied by counting, not by chance, so a test
// sees the same sequence every run.
//
// Everything the server saw is observable from Go (RequestLog, CountRequests,
// PerSecondCounts, Stats, Devices, Groups, Scans) and over admin routes outside /api/v1,
// which need no token, are never faulted and are not logged:
//
//	GET    /_sim/requests?route=&limit=   request log, oldest first (limit keeps the newest)
//	GET    /_sim/stats                    per-route totals, statuses, per-second counts, token grants
//	GET    /_sim/routes                   route names, usable as fault selectors
//	GET    /_sim/faults                   fault rules by selector
//	PUT    /_sim/faults                   replace every rule: {"<selector>": Fault, …}
//	DELETE /_sim/faults                   remove every rule
//	POST   /_sim/reset                    back to the initial state (Reset)
//	POST   /_sim/reset/stats              empty the log and counters only (ResetStats)
//	GET    /_sim/devices                  device snapshot
//	POST   /_sim/devices                  add a device by hand (AddDevice)
//	GET    /_sim/groups, GET /_sim/scans  group and scan snapshots
//	POST   /_sim/scans/complete           finish every running scan (CompleteScans)
//	POST   /_sim/tokens/expire            expire every access token (ExpireTokens)
//
// Where the reference leaves real behaviour open, the simulator picks the plausible variant
// and says so on the handler: an unknown id is 404, an unknown template group is a warning
// (Options.StrictGroups makes it an error), scan progress runs from 0 to 100 and ends in
// phase "Complete", and a refresh token can be used once.
package wugsim
