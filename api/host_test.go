package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseHost(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	cases := []struct {
		in   string
		want hostSpec
	}{
		{"wug.example.net", hostSpec{Host: "wug.example.net"}},
		{"  WUG.Example.NET.  ", hostSpec{Host: "wug.example.net"}},
		{"wug:9644", hostSpec{Host: "wug", Port: 9644}},
		{"10.0.0.5", hostSpec{Host: "10.0.0.5"}},
		{"10.0.0.5:443", hostSpec{Host: "10.0.0.5", Port: 443}},
		{"2001:DB8::5", hostSpec{Host: "2001:db8::5"}},
		{"[2001:db8::5]", hostSpec{Host: "2001:db8::5"}},
		{"[2001:db8::5]:9644", hostSpec{Host: "2001:db8::5", Port: 9644}},
		{"https://wug.example.net", hostSpec{Host: "wug.example.net", UseSSL: &yes}},
		{"HTTP://wug:80/", hostSpec{Host: "wug", Port: 80, UseSSL: &no}},
		{"https://wug:9644/api/v1", hostSpec{Host: "wug", Port: 9644, UseSSL: &yes}},
		{"https://[::1]:9644", hostSpec{Host: "::1", Port: 9644, UseSSL: &yes}},
		{"win_host.corp", hostSpec{Host: "win_host.corp"}},
	}
	for _, tc := range cases {
		got, err := parseHost(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"", "   ", "wug:0", "wug:65536", "wug:http", "ftp://wug", "https://user:pw@wug",
		"https://wug/other/path", "https://wug?x=1", "wug/path", "wu g", "-wug", "wug..net", "[::1", "fe80::1%eth0",
		"https://", "bad!host"} {
		_, err := parseHost(bad)
		require.Error(t, err, "%q", bad)
	}
}
