package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestNetBoxSetupCommand(t *testing.T) {
	t.Parallel()
	stack := testinfra.NewStack(t, testinfra.StackOptions{NetBox: netboxsim.Options{Devices: 3}})
	conn := stack.NewConnection(t, "lab", stack.WUGURL, func(c *models.WUGConnection) {
		c.WUGConsoleURL = "https://wug.lab.example/NmConsole/#v2/device/{id}"
	})
	vars := stack.Vars()
	vars[config.EnvWebhookSecret] = "cmd-hook-secret"
	run := func(args ...string) (string, error) {
		return execute(context.Background(), newNetBoxSetupCommand(testEnvironment(vars)), args...)
	}
	id := strconv.FormatUint(uint64(conn.ID), 10)

	out, err := run("--connection", id, "--webhook-url", "https://wugsync.example.com")
	require.NoError(t, err, out)
	require.Contains(t, out, `created  extras.customlink "WhatsUp Gold: lab"`)
	require.Contains(t, out, `created  extras.webhook "wugsync"`)
	require.Contains(t, out, `created  extras.eventrule`)
	require.NotContains(t, out, "cmd-hook-secret")
	links := stack.NetBox.CustomLinks()
	require.Len(t, links, 1)
	require.Equal(t, "https://wug.lab.example/NmConsole/#v2/device/{{ object.cf.wug_device_id | urlencode }}", links[0].LinkURL)
	require.Equal(t, "cmd-hook-secret", stack.NetBox.Webhooks()[0].Secret)

	out, err = run("--connection", id)
	require.NoError(t, err, out)
	require.Contains(t, out, `found    extras.customfield "wug_device_id"`)
	require.Contains(t, out, `found    extras.customlink "WhatsUp Gold: lab"`)
	require.NotContains(t, out, "created")
	require.Len(t, stack.NetBox.CustomLinks(), 1)

	_, err = run("--connection", "999")
	require.ErrorContains(t, err, "no connection with id 999")
	_, err = run()
	require.ErrorContains(t, err, "--connection")
	_, err = run("--connection", id, "--webhook-url", "not a url")
	require.ErrorContains(t, err, "--webhook-url")
}
