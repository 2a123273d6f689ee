package api

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// hostSpec is what a person typed as a WUG "host": a bare host name or IP,
// host:port, or a URL such as https://wug.example.net:9644/.
type hostSpec struct {
	// Host is the bare name or address (IPv6 without brackets), lowercase.
	Host string
	// Port is 0 when the input named none.
	Port int
	// UseSSL is set when a URL scheme said http or https.
	UseSSL *bool
}

// parseHost normalises a host input. The error text is the problem only;
// the caller names the field.
func parseHost(raw string) (hostSpec, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return hostSpec{}, fmt.Errorf("is required")
	}
	if strings.Contains(raw, "://") {
		return parseHostURL(raw)
	}
	if strings.ContainsAny(raw, "/?#@ ") {
		return hostSpec{}, fmt.Errorf("%q is not a host name, host:port or http(s) URL", raw)
	}
	host, port := raw, ""
	switch {
	case strings.HasPrefix(raw, "["):
		h, p, err := net.SplitHostPort(raw)
		if err != nil {
			if !strings.HasSuffix(raw, "]") {
				return hostSpec{}, fmt.Errorf("%q is not a valid [IPv6]:port", raw)
			}
			h = strings.TrimSuffix(strings.TrimPrefix(raw, "["), "]")
		}
		host, port = h, p
	case strings.Count(raw, ":") == 1:
		h, p, err := net.SplitHostPort(raw)
		if err != nil {
			return hostSpec{}, fmt.Errorf("%q is not a valid host:port", raw)
		}
		host, port = h, p
	}
	return finishHost(host, port)
}

func parseHostURL(raw string) (hostSpec, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return hostSpec{}, fmt.Errorf("%q is not a valid URL", raw)
	}
	var ssl bool
	switch strings.ToLower(u.Scheme) {
	case "https":
		ssl = true
	case "http":
	default:
		return hostSpec{}, fmt.Errorf("URL scheme %q is not http or https", u.Scheme)
	}
	if u.User != nil {
		return hostSpec{}, fmt.Errorf("must not contain credentials; use username and password")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return hostSpec{}, fmt.Errorf("URL must not have a query or fragment")
	}
	switch strings.TrimRight(u.Path, "/") {
	case "", "/api/v1":
	default:
		return hostSpec{}, fmt.Errorf("URL path %q is not the WUG API root", u.Path)
	}
	spec, err := finishHost(u.Hostname(), u.Port())
	if err != nil {
		return hostSpec{}, err
	}
	spec.UseSSL = &ssl
	return spec, nil
}

func finishHost(host, port string) (hostSpec, error) {
	spec := hostSpec{}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return hostSpec{}, fmt.Errorf("port %q is not between 1 and 65535", port)
		}
		spec.Port = n
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return hostSpec{}, fmt.Errorf("IPv6 zone %q cannot be used", addr.Zone())
		}
		spec.Host = addr.String()
		return spec, nil
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if err := checkHostName(name); err != nil {
		return hostSpec{}, err
	}
	spec.Host = name
	return spec, nil
}

// checkHostName accepts DNS names (underscores too: Windows hosts carry
// them) and rejects anything else with the reason.
func checkHostName(name string) error {
	if name == "" {
		return fmt.Errorf("host name is empty")
	}
	if len(name) > 253 {
		return fmt.Errorf("host name is longer than 253 characters")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("host name %q has an empty or over-long label", name)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("host name %q has a label starting or ending with '-'", name)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("host name %q contains %q", name, r)
			}
		}
	}
	return nil
}
