package api

import (
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/wugsync/wugsync/api/apidocs"
	"github.com/wugsync/wugsync/api/dashboard"
	"github.com/wugsync/wugsync/models"
)

// access says who may call a route.
type access int

const (
	accessOpen    access = iota // anyone: probes, the login page
	accessAPI                   // API token, or session cookie with a same-origin check
	accessBrowser               // like accessAPI; a browser without credentials goes to /login
	accessMetrics               // WUGSYNC_METRICS_TOKEN when set, else anyone
	accessWebhook               // the NetBox HMAC signature, checked by the handler
)

// route is one endpoint: how it is reached, who may call it, what it does,
// and how the OpenAPI document describes it. The one table feeds both the
// router and the document.
type route struct {
	Method string
	Path   string // gin syntax
	Access access
	// JSON handlers return their error, rendered as the error body; Raw
	// handlers write HTML, redirects, assets or metrics themselves.
	JSON func(*gin.Context) error
	Raw  gin.HandlerFunc
	// Seed routes answer errors in the seed plugin's shape.
	Seed bool
	Doc  operation
}

func (s *Server) routeTable() []route {
	var routes []route
	for _, group := range [][]route{s.probeRoutes(), s.browserRoutes(), s.monitorRoutes(), s.connectionRoutes(),
		s.runRoutes(), s.ipExportRoutes(), s.syncRoutes(), s.seedRoutes()} {
		routes = append(routes, group...)
	}
	return routes
}

var (
	htmlContent = "text/html"
	anything    = &openapi3.Schema{}
)

func (s *Server) probeRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/healthz", Access: accessOpen, JSON: s.healthz, Doc: operation{
			ID: "healthz", Summary: "The process is up", Tag: "operations",
			Responses: []response{{Status: 200, Description: "up", Body: statusBody{}}}}},
		{Method: http.MethodGet, Path: "/readyz", Access: accessOpen, JSON: s.readyz, Doc: operation{
			ID: "readyz", Summary: "Redis and the database answer", Tag: "operations",
			Responses: []response{{Status: 200, Description: "ready", Body: statusBody{}}},
			Errors:    []int{http.StatusServiceUnavailable}}},
		{Method: http.MethodGet, Path: "/metrics", Access: accessMetrics, Raw: s.serveMetrics, Doc: operation{
			ID: "metrics", Summary: "Prometheus metrics: HTTP, asynq queues, per-connection export figures", Tag: "operations",
			Responses: []response{{Status: 200, Description: "Prometheus text format", ContentType: "text/plain"}}}},
		{Method: http.MethodGet, Path: "/api/v1/openapi.json", Access: accessAPI, Raw: s.serveOpenAPI, Doc: operation{
			ID: "openapi", Summary: "This document", Tag: "operations",
			Responses: []response{{Status: 200, Description: "OpenAPI 3 document", Schema: anything}}}},
		{Method: http.MethodGet, Path: apidocs.Prefix + "/*filepath", Access: accessBrowser, Raw: gin.WrapH(apidocs.Handler()), Doc: operation{
			ID: "apiDocs", Summary: "This document, rendered for a browser (login required)", Tag: "operations",
			Responses: []response{{Status: 200, Description: "the reference page and its assets", ContentType: htmlContent},
				{Status: 302, Description: "not logged in: to /login"}}, Errors: []int{http.StatusNotFound}}},
		{Method: http.MethodPost, Path: "/api/v1/webhooks/netbox", Access: accessWebhook, JSON: s.receiveWebhook, Doc: operation{
			ID: "netboxWebhook", Summary: "NetBox event rule target: device and IP address events queue syncs", Tag: "webhooks",
			Body: anyObject{}, Responses: []response{{Status: 202, Description: "queued or ignored", Body: webhookAnswer{}}}}},
	}
}

// anyObject documents a body that is any JSON object (a NetBox webhook).
type anyObject map[string]any

func (s *Server) browserRoutes() []route {
	loginForm := openapi3.NewObjectSchema().
		WithProperty("token", openapi3.NewStringSchema()).WithProperty("next", openapi3.NewStringSchema())
	loginForm.Required = []string{"token"}
	return []route{
		{Method: http.MethodGet, Path: "/", Access: accessOpen, Raw: redirectTo("/dashboard/"), Doc: operation{
			ID: "root", Summary: "Redirects to the dashboard", Tag: "ui",
			Responses: []response{{Status: 302, Description: "to /dashboard/"}}}},
		{Method: http.MethodGet, Path: "/login", Access: accessOpen, Raw: s.showLogin, Doc: operation{
			ID: "loginPage", Summary: "Login form for the dashboard and asynqmon", Tag: "ui",
			Query:     []*openapi3.Parameter{queryString("next", "local path to return to")},
			Responses: []response{{Status: 200, Description: "HTML form", ContentType: htmlContent}}}},
		{Method: http.MethodPost, Path: "/login", Access: accessOpen, Raw: s.login, Doc: operation{
			ID: "login", Summary: "Checks the token and sets the session cookie", Tag: "ui", FormBody: loginForm,
			Responses: []response{{Status: 303, Description: "logged in; to next or /dashboard/"},
				{Status: 401, Description: "no token; the form again", ContentType: htmlContent},
				{Status: 403, Description: "wrong token; the form again", ContentType: htmlContent},
				{Status: 503, Description: "sessions unavailable", ContentType: htmlContent}}}},
		{Method: http.MethodPost, Path: "/logout", Access: accessOpen, Raw: s.logout, Doc: operation{
			ID: "logout", Summary: "Ends the session", Tag: "ui",
			Responses: []response{{Status: 303, Description: "to /login"}}}},
		{Method: http.MethodGet, Path: "/favicon.svg", Access: accessOpen, Raw: gin.WrapH(dashboard.Favicon()), Doc: operation{
			ID: "favicon", Summary: "The icon of the dashboard and the login page", Tag: "ui",
			Responses: []response{{Status: 200, Description: "SVG icon", ContentType: "image/svg+xml"}}}},
		{Method: http.MethodGet, Path: "/favicon.ico", Access: accessOpen, Raw: gin.WrapH(dashboard.Favicon()), Doc: operation{
			ID: "faviconICO", Summary: "The same icon where browsers look for it unasked", Tag: "ui",
			Responses: []response{{Status: 200, Description: "SVG icon", ContentType: "image/svg+xml"}}}},
		{Method: http.MethodGet, Path: "/dashboard/*filepath", Access: accessBrowser, Raw: s.serveDashboard, Doc: operation{
			ID: "dashboard", Summary: "The dashboard (login required)", Tag: "ui",
			Responses: []response{{Status: 200, Description: "dashboard assets", ContentType: htmlContent},
				{Status: 302, Description: "not logged in: to /login"},
				{Status: 404, Description: "no such dashboard page: an HTML page in the dashboard's style", ContentType: htmlContent}}}},
	}
}

func (s *Server) monitorRoutes() []route {
	var out []route
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		out = append(out, route{Method: m, Path: MonitoringRoot + "/*any", Access: accessBrowser, Raw: s.serveMonitor,
			Doc: operation{ID: "monitoring" + m, Summary: "asynqmon queue monitor (login required; it can delete tasks)", Tag: "ui",
				Responses: []response{{Status: 200, Description: "asynqmon", ContentType: htmlContent},
					{Status: 302, Description: "not logged in: to /login"}}}})
	}
	return out
}

func (s *Server) connectionRoutes() []route {
	id404 := []int{http.StatusNotFound}
	createRequired := []string{"name", "host", "username", "password"}
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/connections", Access: accessAPI, JSON: s.listConnections, Doc: operation{
			ID: "listConnections", Summary: "WUG connections, by name", Tag: "connections", Query: pagingParams(),
			Responses: []response{{Status: 200, Description: "a page of connections", Body: page[connectionView]{}}}}},
		{Method: http.MethodPost, Path: "/api/v1/connections", Access: accessAPI, JSON: s.createConnection, Doc: operation{
			ID: "createConnection", Summary: "Adds a WUG connection; host may be a name, host:port or URL", Tag: "connections",
			Body: connectionInput{}, BodyRequired: createRequired, Errors: []int{http.StatusConflict},
			Responses: []response{{Status: 201, Description: "created", Body: connectionView{}}}}},
		{Method: http.MethodGet, Path: "/api/v1/connections/:id", Access: accessAPI, JSON: s.getConnection, Doc: operation{
			ID: "getConnection", Summary: "One connection (the password is never returned)", Tag: "connections", Errors: id404,
			Responses: []response{{Status: 200, Description: "the connection", Body: connectionView{}}}}},
		{Method: http.MethodPatch, Path: "/api/v1/connections/:id", Access: accessAPI, JSON: s.updateConnection, Doc: operation{
			ID: "updateConnection", Summary: "Changes the fields sent; without password the stored one is kept", Tag: "connections",
			Body: connectionInput{}, Errors: []int{http.StatusNotFound, http.StatusConflict},
			Responses: []response{{Status: 200, Description: "updated", Body: connectionView{}}}}},
		{Method: http.MethodDelete, Path: "/api/v1/connections/:id", Access: accessAPI, JSON: s.deleteConnection, Doc: operation{
			ID: "deleteConnection", Summary: "Deletes a connection with its runs and export rows", Tag: "connections",
			Errors:    []int{http.StatusNotFound, http.StatusConflict},
			Responses: []response{{Status: 204, Description: "deleted"}}}},
		{Method: http.MethodPost, Path: "/api/v1/connections/:id/test", Access: accessAPI, JSON: s.testConnection, Doc: operation{
			ID: "testConnection", Summary: "Logs in to WUG, reads its version and device count, says exactly what failed", Tag: "connections",
			Errors:    id404,
			Responses: []response{{Status: 200, Description: "the test ran; ok says whether it passed", Body: probeResult{}}}}},
		{Method: http.MethodPost, Path: "/api/v1/connections/:id/netbox-setup", Access: accessAPI, JSON: s.netboxSetup, Doc: operation{
			ID: "netboxSetup", Summary: "Creates, idempotently, the NetBox custom field, the custom link to WUG and, given webhook_url, the webhook and its event rule", Tag: "connections",
			Body: netboxSetupInput{}, BodyOptional: true, Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusBadGateway},
			Responses: []response{{Status: 200, Description: "what was created, updated or found, per object", Body: NetBoxSetupResult{}}}}},
		{Method: http.MethodPost, Path: "/api/v1/connections/:id/export", Access: accessAPI, JSON: s.triggerExport, Doc: operation{
			ID: "startExport", Summary: "Starts an export run (or a dry run that only plans)", Tag: "exports",
			Body: exportInput{}, BodyOptional: true, Errors: []int{http.StatusNotFound, http.StatusConflict},
			Responses: []response{{Status: 202, Description: "run queued", Body: exportStarted{}}}}},
		{Method: http.MethodGet, Path: "/api/v1/connections/:id/export-status", Access: accessAPI, JSON: s.getExportStatus, Doc: operation{
			ID: "exportStatus", Summary: "Device counts by export status, last export and recent runs", Tag: "exports", Errors: id404,
			Responses: []response{{Status: 200, Description: "status", Body: exportStatus{}}}}},
	}
}

func (s *Server) runRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/sync-logs", Access: accessAPI, JSON: s.listRuns, Doc: operation{
			ID: "listRuns", Summary: "Runs, newest first, with live progress", Tag: "runs",
			Query: append(pagingParams(),
				queryInteger("connection_id", "only this connection's runs", 1, 0),
				queryEnumParam("status", "only runs in this status", enumStrings(models.RunStatuses())),
				queryEnumParam("sync_type", "only runs of this kind", enumStrings(models.SyncTypes()))),
			Responses: []response{{Status: 200, Description: "a page of runs", Body: page[runView]{}}}}},
		{Method: http.MethodGet, Path: "/api/v1/sync-logs/:id", Access: accessAPI, JSON: s.getRun, Doc: operation{
			ID: "getRun", Summary: "One run; ?wait=N blocks until it ends or N seconds pass", Tag: "runs",
			Query: []*openapi3.Parameter{queryInteger("wait", "seconds to wait for the run to end; 503 at once when the "+
				"API process already has its maximum of waiting clients", 0, MaxWaitSeconds)},
			Errors:    []int{http.StatusNotFound},
			Responses: []response{{Status: 200, Description: "the run as it stands", Body: runView{}}}}},
		{Method: http.MethodGet, Path: "/api/v1/sync-logs/:id/plan", Access: accessAPI, JSON: s.getPlan, Doc: operation{
			ID: "getPlan", Summary: "A run's per-device plan with field diffs", Tag: "runs",
			Query: append(pagingParams(),
				queryEnumParam("action", "only entries with this action", enumStrings(models.PlanActions()))),
			Errors:    []int{http.StatusNotFound},
			Responses: []response{{Status: 200, Description: "the plan", Body: planPage{}}}}},
		{Method: http.MethodPost, Path: "/api/v1/sync-logs/:id/apply", Access: accessAPI, JSON: s.applyRun, Doc: operation{
			ID: "applyPlan", Summary: "Applies a completed dry run's plan (at most an hour old) as a new run, even when periodic export is off; " +
				"objects NetBox changed since the plan are decided again and listed in the new run's replanned", Tag: "runs",
			Body: noFields{}, BodyOptional: true, Errors: []int{http.StatusNotFound, http.StatusConflict},
			Responses: []response{{Status: 202, Description: "run queued", Body: exportStarted{}}}}},
	}
}

func ipExportQuery() []*openapi3.Parameter {
	return append(pagingParams(),
		queryInteger("connection_id", "only this connection's rows", 1, 0),
		queryEnumParam("status", "only rows in this export status", enumStrings(models.ExportStatuses())),
		queryString("ip", "exact IP address"),
		queryInteger("device_id", "NetBox device id", 1, MaxNetBoxID),
		queryEnumParam("object_type", "only rows about this kind of NetBox object", enumStrings(models.ObjectTypes())),
		queryInteger("vm_id", "NetBox virtual machine id", 1, MaxNetBoxID),
		queryString("device", "device name contains (any case)"))
}

func (s *Server) ipExportRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/ip-exports", Access: accessAPI, JSON: s.listIPExports, Doc: operation{
			ID: "listIPExports", Summary: "Export rows, newest first", Tag: "ip-exports", Query: ipExportQuery(),
			Responses: []response{{Status: 200, Description: "a page of rows", Body: page[ipExportRow]{}}}}},
		{Method: http.MethodGet, Path: "/api/v1/ip-exports/:id", Access: accessAPI, JSON: s.getIPExport, Doc: operation{
			ID: "getIPExport", Summary: "One export row with a page of its kept attempts (the latest per row; attempts counts all)", Tag: "ip-exports",
			Query: pagingParams(), Errors: []int{http.StatusBadRequest, http.StatusNotFound},
			Responses: []response{{Status: 200, Description: "the row", Body: ipExportView{}}}}},
		{Method: http.MethodPost, Path: "/api/v1/ip-exports/:id/retry", Access: accessAPI, JSON: s.retryIPExport, Doc: operation{
			ID: "retryIPExport", Summary: "Syncs the row's device on its connection again", Tag: "ip-exports",
			Body: noFields{}, BodyOptional: true, Errors: []int{http.StatusNotFound, http.StatusConflict},
			Responses: []response{{Status: 202, Description: "queued", Body: queuedSync{}}}}},
		{Method: http.MethodPost, Path: "/api/v1/ip-exports/bulk-export", Access: accessAPI, JSON: s.postBulkExport, Doc: operation{
			ID: "bulkExport", Summary: "Syncs listed devices (by NetBox id or exported IP) on one connection", Tag: "ip-exports",
			Body: bulkExportInput{}, BodyRequired: []string{"connection_id"}, Errors: []int{http.StatusConflict},
			Responses: []response{{Status: 202, Description: "queued", Body: bulkQueued{}}}}},
	}
}

// noFields documents the body of a route that takes no parameters: empty,
// or {}.
type noFields struct{}

// ipExportRow documents a list row (the model as stored).
type ipExportRow = models.NetBoxIPExport

func (s *Server) syncRoutes() []route {
	return []route{
		{Method: http.MethodPost, Path: "/api/v1/netbox-devices/:device_id/sync", Access: accessAPI, JSON: s.syncNetBoxDevice, Doc: operation{
			ID: "syncDevice", Summary: "Syncs one NetBox device to every active connection", Tag: "exports",
			Body: noFields{}, BodyOptional: true, Errors: []int{http.StatusNotFound, http.StatusConflict},
			Responses: []response{{Status: 202, Description: "queued", Body: queuedSync{}}}}},
		{Method: http.MethodGet, Path: "/api/v1/netbox-devices/:device_id", Access: accessAPI, JSON: s.getNetBoxDevice, Doc: operation{
			ID: "netboxDeviceStanding", Summary: "Where one NetBox device stands on each connection, and why: exported (with its WUG device " +
				"and console URL), skipped with the reason, outside which filter, or never seen; NetBox is read once to judge the filters", Tag: "exports",
			Errors:    []int{http.StatusNotFound},
			Responses: []response{{Status: 200, Description: "the device on every connection", Body: objectStanding{}}}}},
		{Method: http.MethodGet, Path: "/api/v1/netbox-vms/:vm_id", Access: accessAPI, JSON: s.getNetBoxVM, Doc: operation{
			ID: "netboxVMStanding", Summary: "Where one NetBox virtual machine stands on each connection, and why (as for a device)", Tag: "exports",
			Errors:    []int{http.StatusNotFound},
			Responses: []response{{Status: 200, Description: "the virtual machine on every connection", Body: objectStanding{}}}}},
		{Method: http.MethodPost, Path: "/api/v1/netbox-vms/:vm_id/sync", Access: accessAPI, JSON: s.syncNetBoxVM, Doc: operation{
			ID: "syncVM", Summary: "Syncs one NetBox virtual machine to every active connection that exports virtual machines", Tag: "exports",
			Body: noFields{}, BodyOptional: true, Errors: []int{http.StatusNotFound, http.StatusConflict},
			Responses: []response{{Status: 202, Description: "queued", Body: queuedSync{}}}}},
	}
}

func (s *Server) seedRoutes() []route {
	waitParam := queryInteger("wait", "seconds to wait for the final counts (default 60; 0 answers at once); past them, "+
		"or when the API process already has its maximum of waiting clients, the answer is 202 with the counts so far", 0, MaxWaitSeconds)
	waitParam.Schema.Value.Default = SeedWaitSeconds
	seedWait := []*openapi3.Parameter{waitParam}
	return []route{
		{Method: http.MethodPost, Path: SeedPrefix + "/connections/:id/export/", Access: accessAPI, Seed: true, JSON: s.seedExport, Doc: operation{
			ID: "seedExport", Summary: "Seed plugin route: starts an export and answers its final counts (waits up to ?wait=60 seconds)", Tag: "seed",
			Query: seedWait, Body: seedExportInput{}, BodyOptional: true, Errors: []int{http.StatusNotFound, http.StatusConflict},
			Responses: []response{{Status: 200, Description: "the run ended", Body: seedResult{}},
				{Status: 202, Description: "the run is queued or still running", Body: seedResult{}}}}},
		{Method: http.MethodPost, Path: SeedPrefix + "/netbox-device/:device_id/sync/", Access: accessAPI, Seed: true, JSON: s.seedDeviceSync, Doc: operation{
			ID: "seedDeviceSync", Summary: "Seed plugin route: syncs one NetBox device to every active connection; waits like the export route", Tag: "seed",
			Query: seedWait, Body: noFields{}, BodyOptional: true, Errors: []int{http.StatusNotFound, http.StatusConflict},
			Responses: []response{{Status: 200, Description: "the sync ended on every connection", Body: seedResult{}},
				{Status: 202, Description: "the sync is queued or still running somewhere", Body: seedResult{}}}}},
		{Method: http.MethodGet, Path: SeedPrefix + "/connections/:id/export-status/", Access: accessAPI, Seed: true, JSON: s.seedExportStatus, Doc: operation{
			ID: "seedExportStatus", Summary: "Seed plugin route: export statistics of a connection", Tag: "seed",
			Errors:    []int{http.StatusNotFound},
			Responses: []response{{Status: 200, Description: "statistics", Body: seedExportStatusBody{}}}}},
		{Method: http.MethodGet, Path: SeedPrefix + "/ip-exports/", Access: accessAPI, Seed: true, JSON: s.seedIPExports, Doc: operation{
			ID: "seedIPExports", Summary: "Seed plugin route: export rows", Tag: "seed", Query: ipExportQuery(),
			Responses: []response{{Status: 200, Description: "rows", Body: seedIPExportList{}}}}},
		{Method: http.MethodPost, Path: SeedPrefix + "/ip-exports/bulk-export/", Access: accessAPI, Seed: true, JSON: s.seedBulkExport, Doc: operation{
			ID: "seedBulkExport", Summary: "Seed plugin route: syncs listed devices on one connection", Tag: "seed",
			Body: bulkExportInput{}, BodyRequired: []string{"connection_id"}, Errors: []int{http.StatusConflict},
			Responses: []response{{Status: 202, Description: "queued", Body: seedResult{}}}}},
	}
}
