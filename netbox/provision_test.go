package netbox_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestNormalizeWebhookURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://wugsync.example.com":                          "https://wugsync.example.com/api/v1/webhooks/netbox",
		"https://wugsync.example.com/":                         "https://wugsync.example.com/api/v1/webhooks/netbox",
		"http://10.0.0.5:8080/wugsync":                         "http://10.0.0.5:8080/wugsync/api/v1/webhooks/netbox",
		"https://wugsync.example.com/api/v1/webhooks/netbox":   "https://wugsync.example.com/api/v1/webhooks/netbox",
		" https://wugsync.example.com/api/v1/webhooks/netbox/": "https://wugsync.example.com/api/v1/webhooks/netbox/",
	} {
		got, err := netbox.NormalizeWebhookURL(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "wugsync.example.com", "ftp://x", "https://", "https://u:p@x", "https://x/?a=1", "https://x/#f"} {
		_, err := netbox.NormalizeWebhookURL(bad)
		require.Error(t, err, bad)
	}
}

func TestLinkURLTemplate(t *testing.T) {
	t.Parallel()
	require.Equal(t, "https://wug/NmConsole/#v2/device/{{ object.cf.wug_id | urlencode }}",
		netbox.LinkURLTemplate("https://wug/NmConsole/#v2/device/{id}", "{id}", "wug_id"))
	require.Equal(t, "https://wug/NmConsole/", netbox.LinkURLTemplate("https://wug/NmConsole/", "{id}", "wug_id"),
		"without the placeholder the link opens the console")
}

func TestSetupRefusesBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 2}, nil)
	ctx := context.Background()
	for name, spec := range map[string]netbox.SetupSpec{
		"webhook without secret": {Connection: "lab", LinkURL: "https://wug/", WebhookURL: "https://wugsync.example.com"},
		"bad webhook URL":        {Connection: "lab", LinkURL: "https://wug/", WebhookURL: "nope", WebhookSecret: "s"},
		"bad field name":         {Connection: "lab", LinkURL: "https://wug/", CustomField: "wug-id"},
		"no connection":          {LinkURL: "https://wug/"},
	} {
		_, err := b.client.Setup(ctx, spec)
		require.ErrorIs(t, err, netbox.ErrConfig, name)
	}
	require.Empty(t, b.sim.Requests())
}
