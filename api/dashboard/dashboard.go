// Package dashboard serves wugsync's web dashboard: one static page (HTML,
// JavaScript and CSS embedded in the binary) that calls the JSON API of
// package api from the browser. It has no build step and loads nothing from
// outside the server, so it works on an offline network operations machine.
//
// The page shows the WUG connections, the runs with live progress, a run's
// per-device plan and the export rows with their attempt history, and starts
// exports, retries and connection tests. Authentication is not handled here:
// package api mounts Handler behind its login, and the page's API calls ride
// on the session cookie that the login sets.
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is the path the dashboard is published under. Handler accepts
// request paths with or without it, so the api may mount it either as-is
// (gin's wildcard route keeps the full path) or behind http.StripPrefix.
const Prefix = "/dashboard"

// contentSecurityPolicy allows only this server's own scripts, styles and
// API, so even a device name that slipped past the page's text-only
// rendering could not run a script or send data elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; " +
	"base-uri 'none'; frame-ancestors 'none'"

//go:embed assets
var assetFS embed.FS

// asset is one embedded file ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes is fixed here rather than read from the operating system's
// MIME table, which differs between machines (some map .js to
// application/x-javascript) and would break strict MIME checking.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// Handler serves the dashboard's assets: the page at "/dashboard/" (or "/"
// once the prefix is stripped) and its files beside it. "/dashboard" without
// the slash redirects, so the page's relative asset links resolve. Only GET
// and HEAD are allowed; the assets revalidate on every load (ETag) so an
// upgraded server never runs a stale script against a new API.
func Handler() http.Handler {
	assets, err := loadAssets()
	if err != nil {
		// The assets are compiled in: failing here is a broken build, which
		// the package's tests catch before any release.
		panic(fmt.Sprintf("dashboard: %v", err))
	}
	return &handler{assets: assets}
}

type handler struct {
	assets map[string]asset
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: the dashboard is read-only", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == Prefix {
		target := Prefix + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if name == "" {
		name = "index.html"
	}
	a, ok := h.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	header := w.Header()
	header.Set("Content-Type", a.contentType)
	header.Set("Cache-Control", "no-cache")
	header.Set("ETag", a.etag)
	header.Set("Content-Security-Policy", contentSecurityPolicy)
	header.Set("X-Content-Type-Options", "nosniff")
	header.Set("Referrer-Policy", "same-origin")
	// ServeContent answers If-None-Match with 304 and handles HEAD and
	// ranges; the zero time leaves the ETag as the only validator.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}

// loadAssets reads every embedded file once, so serving is a map lookup.
func loadAssets() (map[string]asset, error) {
	root, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return nil, fmt.Errorf("open embedded assets: %w", err)
	}
	out := make(map[string]asset)
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		contentType, ok := contentTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("asset %s has no known content type", name)
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return fmt.Errorf("read asset %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		out[name] = asset{
			body:        body,
			contentType: contentType,
			etag:        `"` + hex.EncodeToString(sum[:8]) + `"`,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load embedded assets: %w", err)
	}
	return out, nil
}
