package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Session settings of the browser login (dashboard and asynqmon).
const (
	// SessionCookie holds a random session id, never the API token.
	SessionCookie = "wugsync_session"
	// SessionTTL is how long a login lasts.
	SessionTTL = 12 * time.Hour
	// sessionKeyPrefix is followed by the SHA-256 of the session id, so a
	// person reading Redis cannot lift a live cookie from it.
	sessionKeyPrefix = "wugsync:session:"
)

// sessionStore keeps browser sessions in Redis, shared by every API
// replica. A session stores the fingerprint of the token that opened it.
type sessionStore struct {
	rdb redis.UniversalClient
}

func sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return sessionKeyPrefix + hex.EncodeToString(h[:])
}

// create opens a session for the holder of tok and returns its id.
func (st sessionStore) create(ctx context.Context, tok string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	if err := st.rdb.Set(ctx, sessionKey(id), fingerprint(tok), SessionTTL).Err(); err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return id, nil
}

// valid reports whether id is a live session opened with a token that is
// still accepted.
func (st sessionStore) valid(ctx context.Context, id string, tokens tokenSet) (bool, error) {
	if len(id) > 128 {
		return false, nil
	}
	fp, err := st.rdb.Get(ctx, sessionKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read session: %w", err)
	}
	return tokens.matchFingerprint(fp), nil
}

// end deletes a session.
func (st sessionStore) end(ctx context.Context, id string) error {
	if err := st.rdb.Del(ctx, sessionKey(id)).Err(); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
