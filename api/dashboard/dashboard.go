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
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
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
	".svg":  "image/svg+xml",
	".json": "application/json",
}

// Options configures the dashboard.
type Options struct {
	// NetBoxURL is NetBox's base URL (WUGSYNC_NETBOX_URL); when set, device
	// names link to their NetBox pages. Only an http or https URL is used.
	NetBoxURL string
}

// configName is the generated asset that tells the page its Options.
const configName = "config.json"

// notFoundName is the page of an unknown dashboard path.
const notFoundName = "404.html"

// FaviconName is the icon's file name, served by the api at the site's
// root too, so the login page and browsers' /favicon.ico find it.
const FaviconName = "favicon.svg"

// New serves the dashboard's assets: the page at "/dashboard/" (or "/"
// once the prefix is stripped) and its files beside it. "/dashboard" without
// the slash redirects, so the page's relative asset links resolve. Only GET
// and HEAD are allowed; the assets revalidate on every load (ETag) so an
// upgraded server never runs a stale script against a new API. An unknown
// path gets the HTML 404 page in the dashboard's style, with status 404.
func New(opts Options) http.Handler {
	assets, err := loadAssets()
	if err != nil {
		// The assets are compiled in: failing here is a broken build, which
		// the package's tests catch before any release.
		panic(fmt.Sprintf("dashboard: %v", err))
	}
	cfg, err := json.Marshal(map[string]string{"netbox_url": cleanBaseURL(opts.NetBoxURL)})
	if err != nil {
		panic(fmt.Sprintf("dashboard: encode %s: %v", configName, err))
	}
	assets[configName] = newAsset(cfg, contentTypes[".json"])
	return &handler{assets: assets}
}

// Favicon serves the dashboard's icon on its own (the api mounts it at
// /favicon.svg and /favicon.ico, outside the login).
func Favicon() http.Handler {
	assets, err := loadAssets()
	if err != nil {
		panic(fmt.Sprintf("dashboard: %v", err))
	}
	icon := assets[FaviconName]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveAsset(w, r, FaviconName, icon, http.StatusOK)
	})
}

// cleanBaseURL keeps an absolute http(s) URL without user info and drops
// its trailing slash; anything else is no URL, so no link is built from it.
func cleanBaseURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return strings.TrimRight(u.String(), "/")
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
		serveAsset(w, r, notFoundName, h.assets[notFoundName], http.StatusNotFound)
		return
	}
	serveAsset(w, r, name, a, http.StatusOK)
}

// serveAsset writes one asset with the dashboard's headers. A status other
// than 200 (the 404 page) is written as is, without conditional requests.
func serveAsset(w http.ResponseWriter, r *http.Request, name string, a asset, status int) {
	header := w.Header()
	header.Set("Content-Type", a.contentType)
	header.Set("Cache-Control", "no-cache")
	header.Set("Content-Security-Policy", contentSecurityPolicy)
	header.Set("X-Content-Type-Options", "nosniff")
	header.Set("Referrer-Policy", "same-origin")
	if status != http.StatusOK {
		header.Set("Content-Length", fmt.Sprint(len(a.body)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(a.body)
		}
		return
	}
	header.Set("ETag", a.etag)
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
		out[name] = newAsset(body, contentType)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load embedded assets: %w", err)
	}
	return out, nil
}

func newAsset(body []byte, contentType string) asset {
	sum := sha256.Sum256(body)
	return asset{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}
