// Package netboxsim is a faithful NetBox 4.x simulator for tests, the demo
// and benchmarks: an http.Handler that serves devices, IP addresses, VMs,
// sites, regions, roles, platforms, tenants and tags the way NetBox's REST
// API does (limit/offset maths with the 1000 cap, keyset paging, filters
// with 400s for unknown slugs, 403 variants, API-Version and X-Request-ID
// headers), accepts writes (one object, bulk PATCH/PUT/DELETE of a list on
// devices and VMs, list POSTs), keeps a change log, enforces token write
// flags and model permissions, and sends signed webhooks for its event
// rules. It serves NetBox's setup models too: custom fields (with their
// validation of object data), custom links, journal entries, webhooks and
// event rules. Version profiles 4.2, 4.4 and 4.5 switch the drift the
// reference documents (nested counts, model/object_type, v2 tokens) and
// NetBox's answer to an unknown custom field (400 up to 4.4.9, dropped
// silently from 4.4.10).
//
// Behaviour follows /work/shared/reference/netbox-api.md (the "reference"
// in comments); where NetBox's behaviour is inferred there, the simulator
// follows the inference. The write paths the reference does not cover
// follow NetBox's source (netbox/netbox/api/viewsets/mixins.py for bulk
// operations, extras/api/serializers_ for the setup models).
package netboxsim
