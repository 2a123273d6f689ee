package netbox

import (
	"context"
	"net/url"
)

const (
	sitesPath   = "api/dcim/sites/"
	regionsPath = "api/dcim/regions/"
	statusPath  = "api/status/"
)

// ListSites returns every site with its region. The nested site inside a
// device carries no region, so the exporter calls this once per run to build
// "{region}/{site}" group paths.
func (c *Client) ListSites(ctx context.Context) ([]Site, error) {
	var out []Site
	for s, err := range list(ctx, c, sitesPath, url.Values{}, func(s Site) int64 { return s.ID }) {
		if err != nil {
			return nil, opError("list sites", err)
		}
		out = append(out, s)
	}
	return out, nil
}

// ListRegions returns every region with its parent, for nested region paths.
func (c *Client) ListRegions(ctx context.Context) ([]Region, error) {
	var out []Region
	for r, err := range list(ctx, c, regionsPath, url.Values{}, func(r Region) int64 { return r.ID }) {
		if err != nil {
			return nil, opError("list regions", err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Status reads /api/status/: the NetBox version and whether background
// workers (which send webhooks) are running. It doubles as a connection and
// credentials check, since it requires authentication when LOGIN_REQUIRED
// is on (the default).
func (c *Client) Status(ctx context.Context) (ServerStatus, error) {
	var st ServerStatus
	resp, err := c.getJSON(ctx, statusPath, url.Values{}, &st)
	if err != nil {
		return ServerStatus{}, opError("read status", err)
	}
	st.APIVersion = resp.header.Get("API-Version")
	return st, nil
}
