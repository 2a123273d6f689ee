// Package netboxsim is a faithful NetBox 4.x simulator for tests, the demo
// and benchmarks: an http.Handler that serves devices, IP addresses, VMs,
// sites, regions, roles, platforms, tenants and tags the way NetBox's REST
// API does (limit/offset maths with the 1000 cap, keyset paging, filters
// with 400s for unknown slugs, 403 variants, API-Version and X-Request-ID
// headers), accepts writes, keeps a change log, and sends signed event-rule
// webhooks. Version profiles 4.2, 4.4 and 4.5 switch the shape drift the
// reference documents (nested counts, model/object_type, v2 tokens).
//
// Behaviour follows /work/shared/reference/netbox-api.md (the "reference"
// in comments); where NetBox's behaviour is inferred there, the simulator
// follows the inference.
package netboxsim
