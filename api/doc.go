// Package api is wugsync's HTTP face: the JSON API of DESIGN.md §7, the
// seed plugin's compatible routes, the NetBox webhook receiver, the login
// in front of the dashboard and asynqmon, /metrics, /healthz and /readyz,
// and the OpenAPI document that describes all of them.
//
// Handlers only validate, read the database and enqueue tasks. No WUG or
// NetBox call runs inside a request, except the connection test, which is
// the one place a person asks "can you reach this WUG server right now?".
//
// Every route is declared once in a table (routes.go) that both registers
// it on the gin engine and describes it in the OpenAPI document, so the two
// cannot drift apart.
package api
