package netbox

import (
	"context"
	"iter"
	"strconv"
)

const ipAddressesPath = "api/ipam/ip-addresses/"

// IPAddresses streams every IP address matching f, one page in memory at a
// time, in id order.
func (c *Client) IPAddresses(ctx context.Context, f IPFilter) iter.Seq2[IPAddress, error] {
	q, err := f.values()
	if err != nil {
		return failed[IPAddress](opError("list ip addresses", err))
	}
	return list(ctx, c, ipAddressesPath, q, func(ip IPAddress) int64 { return ip.ID })
}

// ListIPAddresses collects IPAddresses into a slice; meant for small
// selections such as the addresses of one device.
func (c *Client) ListIPAddresses(ctx context.Context, f IPFilter) ([]IPAddress, error) {
	var out []IPAddress
	for ip, err := range c.IPAddresses(ctx, f) {
		if err != nil {
			return nil, err
		}
		out = append(out, ip)
	}
	return out, nil
}

// GetIPAddress reads one IP address; ErrNotFound when it is gone.
func (c *Client) GetIPAddress(ctx context.Context, id int64) (IPAddress, error) {
	var ip IPAddress
	if err := c.getObject(ctx, ipAddressesPath, id, &ip); err != nil {
		return IPAddress{}, opError("get ip address "+strconv.FormatInt(id, 10), err)
	}
	return ip, nil
}
