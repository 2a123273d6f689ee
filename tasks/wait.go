package tasks

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// RunEndedChannel is the Redis pub/sub channel on which workers announce
// the id of every run that ended, so waiters in other processes (the API's
// ?wait=N, the demo) wake at once instead of polling. Pub/sub ignores
// database numbers, so the channel names the database: installations that
// share a Redis server on different databases do not hear each other.
func RunEndedChannel(rdb redis.UniversalClient) string { return scoped(rdb, "wugsync:runs:ended") }

// ScanEndedChannel announces "<connection id>:<scan id>" when a fallback
// discovery scan was resolved (devices linked, not found, or timed out).
func ScanEndedChannel(rdb redis.UniversalClient) string { return scoped(rdb, "wugsync:scans:ended") }

func scoped(rdb redis.UniversalClient, channel string) string {
	if c, ok := rdb.(*redis.Client); ok {
		return channel + ":" + strconv.Itoa(c.Options().DB)
	}
	return channel
}

// PublishRunEnded announces that a run ended.
func PublishRunEnded(ctx context.Context, rdb redis.UniversalClient, runID uint) error {
	return rdb.Publish(ctx, RunEndedChannel(rdb), strconv.FormatUint(uint64(runID), 10)).Err()
}

// WaitRunEnded blocks until the run has ended or ctx is done, and returns
// the run as stored (with ctx's error when it gave up first). It subscribes before reading the row, so an end
// announced in between is not missed.
func WaitRunEnded(ctx context.Context, rdb redis.UniversalClient, db *gorm.DB, runID uint) (models.WUGSyncLog, error) {
	sub := rdb.Subscribe(ctx, RunEndedChannel(rdb))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		if ctx.Err() != nil {
			// Out of time before listening: the caller still gets the
			// run as it stands.
			var run models.WUGSyncLog
			if lerr := db.WithContext(context.WithoutCancel(ctx)).First(&run, runID).Error; lerr != nil {
				return run, fmt.Errorf("load run %d: %w", runID, lerr)
			}
			return run, ctx.Err()
		}
		return models.WUGSyncLog{}, fmt.Errorf("subscribe to run ends: %w", err)
	}
	want := strconv.FormatUint(uint64(runID), 10)
	ch := sub.Channel()
	for {
		var run models.WUGSyncLog
		if err := db.WithContext(context.WithoutCancel(ctx)).First(&run, runID).Error; err != nil {
			return run, fmt.Errorf("load run %d: %w", runID, err)
		}
		if !run.Status.Active() {
			return run, nil
		}
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case msg, ok := <-ch:
			if !ok {
				return run, fmt.Errorf("run-end subscription closed")
			}
			if msg.Payload != want {
				continue
			}
		}
	}
}

// PublishScanEnded announces that a scan was resolved.
func PublishScanEnded(ctx context.Context, rdb redis.UniversalClient, connectionID uint, scanID string) error {
	return rdb.Publish(ctx, ScanEndedChannel(rdb), strconv.FormatUint(uint64(connectionID), 10)+":"+scanID).Err()
}
