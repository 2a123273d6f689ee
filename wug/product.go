package wug

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// ProductVersion reads the server's product information (GET /product/version). It is the
// cheapest authenticated call, so it doubles as a connection test.
func (c *Client) ProductVersion(ctx context.Context) (ProductInfo, error) {
	req := request{op: OpProductVersion, method: http.MethodGet, path: "/api/v1/product/version"}
	body, err := c.call(ctx, req)
	if err != nil {
		return ProductInfo{}, err
	}
	raw, err := unwrapList(body, "values")
	if err != nil {
		return ProductInfo{}, c.protocolError(req, body, "decode product version", err)
	}
	var wire []wireNameValue
	if err := json.Unmarshal(raw, &wire); err != nil {
		return ProductInfo{}, c.protocolError(req, body, "decode product version", err)
	}
	info := ProductInfo{Values: make([]NameValue, 0, len(wire))}
	for _, w := range wire {
		info.Values = append(info.Values, NameValue{Name: string(w.Name), Value: string(w.Value)})
	}
	for _, v := range info.Values {
		if strings.Contains(strings.ToLower(v.Name), "version") {
			info.Version = v.Value
			break
		}
	}
	if info.Version == "" && len(info.Values) > 0 {
		info.Version = info.Values[0].Value
	}
	return info, nil
}
