package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// SecretKeySize is the length of WUGSYNC_SECRET_KEY once decoded: an
// AES-256 key.
const SecretKeySize = 32

// errSecretKeyForm says what WUGSYNC_SECRET_KEY must look like.
var errSecretKeyForm = errors.New("must be 32 random bytes as 64 hex characters or base64 (generate one with: openssl rand -hex 32)")

// DecodeSecretKey decodes a WUGSYNC_SECRET_KEY value: 64 hex characters or
// base64 (standard or URL alphabet, padded or not) of 32 bytes. Load checks
// the form at start, so a mistyped key is reported before anything connects.
func DecodeSecretKey(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if b, err := hex.DecodeString(v); err == nil && len(b) == SecretKeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil && len(b) == SecretKeySize {
			return b, nil
		}
	}
	return nil, errSecretKeyForm
}
