package process

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// NewSecret returns 32 random bytes as 64 hex characters: an API token or a
// webhook secret for the modes that generate their own.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}
