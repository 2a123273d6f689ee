package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wugsync/wugsync/models"
)

// writebackClaimTTL frees the claims of a sender that died: longer than a
// bulk PATCH and a journal POST take, short enough that a later sweep soon
// sends what it left owed.
const writebackClaimTTL = 2 * time.Minute

// claimWritebacks takes the right to send the write-backs of rows: a
// batch, a scan's links and the sweeps of a run may each find the same
// owed row at once (a scan that links a device while its batch is still
// writing back), and without a claim each would send it, so NetBox's
// journal would get the entry twice.
//
// One Redis round trip claims every row (a key per object, SET NX with a
// TTL); the rows another sender holds are left to it. The rows claimed are
// then read again: a sender that finished between the caller's read and
// this claim has cleared them, and they are not sent again. release gives
// the claims back once the marks are cleared (or the send failed).
func (w *Worker) claimWritebacks(ctx context.Context, conn models.WUGConnection, t models.ObjectType, rows []models.NetBoxIPExport) (due []models.NetBoxIPExport, release func(), err error) {
	if len(rows) == 0 {
		return nil, func() {}, nil
	}
	token := lockToken()
	keys := make([]string, len(rows))
	pipe := w.p.Redis.Pipeline()
	claims := make([]*redis.BoolCmd, len(rows))
	for i, r := range rows {
		keys[i] = fmt.Sprintf("wugsync:writeback:%d:%s:%d", conn.ID, t, r.NetBoxObjectID)
		claims[i] = pipe.SetNX(ctx, keys[i], token, writebackClaimTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, fmt.Errorf("claim %d NetBox write-backs: %w", len(rows), err)
	}
	var held []string
	var ids []int64
	for i, c := range claims {
		if c.Val() {
			held = append(held, keys[i])
			ids = append(ids, rows[i].NetBoxObjectID)
		}
	}
	release = func() {
		if len(held) == 0 {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		// Only this sender's claims: one that outlived its TTL may be
		// another's by now. A failed release costs the TTL, no more.
		_ = releaseClaimsScript.Run(rctx, w.p.Redis, held, token).Err()
	}
	if len(ids) == 0 {
		return nil, release, nil
	}
	due, err = w.store.DueWritebacks(ctx, conn.ID, t, ids)
	if err != nil {
		release()
		return nil, nil, err
	}
	return due, release, nil
}

// releaseClaimsScript deletes each key that still holds the caller's token.
var releaseClaimsScript = redis.NewScript(`
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call("GET", key) == ARGV[1] then n = n + redis.call("DEL", key) end
end
return n`)
