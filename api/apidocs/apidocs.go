// Package apidocs serves the API reference in a browser: one page, embedded
// in the binary with its script and style, that reads the API's own OpenAPI
// document (/api/v1/openapi.json) and renders every operation, its
// parameters, request body and answers. It loads nothing from outside the
// server, so it works on an offline network, and renders text only (never
// HTML from the document), under a strict Content-Security-Policy.
package apidocs

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Prefix is where package api mounts the reference, beside openapi.json.
const Prefix = "/api/v1/docs"

// contentSecurityPolicy allows this server's own script, style and API only.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed assets
var assets embed.FS

// contentTypes are fixed rather than read from the system's MIME table,
// which differs between machines and could break strict MIME checking.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// Handler serves the page at Prefix+"/" and its files beside it; Prefix
// without the slash redirects there, so the relative links resolve. Only
// GET and HEAD are allowed.
func Handler() http.Handler {
	root, err := fs.Sub(assets, "assets")
	if err != nil {
		panic("apidocs: " + err.Error()) // the assets are compiled in
	}
	files := http.StripPrefix(Prefix, http.FileServerFS(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == Prefix {
			http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
			return
		}
		h := w.Header()
		name := path.Base(r.URL.Path)
		if strings.HasSuffix(r.URL.Path, "/") {
			name = "index.html"
		}
		if ct, ok := contentTypes[path.Ext(name)]; ok {
			h.Set("Content-Type", ct)
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
