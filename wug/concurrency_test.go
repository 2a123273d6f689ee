package wug

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

// TestOneClientManyGoroutines shares one client between goroutines that create, find, update
// and delete devices while every token expires underneath them once; run it with -race.
func TestOneClientManyGoroutines(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Faults: map[string]wugsim.Fault{"GET /api/v1/devices/{deviceId}": {ExpireTokenRate: 1, Count: 1}}})
	const workers = 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Go(func() {
			ctx := b.ctx(t)
			id := fmt.Sprintf("nb-%d", i)
			ip := fmt.Sprintf("10.20.%d.1", i)
			res, err := b.client.ApplyTemplates(ctx, []DeviceTemplate{template(id, "dev-"+id, ip)})
			if err != nil {
				errs <- err
				return
			}
			deviceID := res[id].DeviceID
			found, err := b.client.FindDevicesByIP(ctx, ip)
			if err == nil && (len(found) != 1 || found[0].ID != deviceID) {
				err = fmt.Errorf("find %s: got %+v, want device %s", ip, found, deviceID)
			}
			if err == nil {
				_, err = b.client.GetDevice(ctx, deviceID)
			}
			if err == nil {
				_, err = b.client.SetAttributes(ctx, deviceID, []NameValue{{"NetBox_ID", id}})
			}
			if err == nil && i%2 == 0 {
				err = b.client.DeleteDevice(ctx, deviceID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, workers/2, b.sim.DeviceCount())
	grants := b.sim.TokenGrants()
	require.Equal(t, 1, grants["password"], "one login for the whole process")
	require.Equal(t, 1, grants["refresh_token"], "every goroutine that saw the 401 shared one refresh")
}
