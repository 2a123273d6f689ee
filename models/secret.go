package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wugsync/wugsync/config"
)

// sealedPrefix versions the stored format so the key or algorithm can change
// later without guessing what a column holds.
const sealedPrefix = "v1:"

// passwordAAD binds ciphertexts to their purpose: a value sealed for another
// column cannot be replayed as a WUG password.
var passwordAAD = []byte("wugsync/wug_connections.password")

// Secret errors, checked with errors.Is.
var (
	// ErrWrongKey means a stored secret does not open under the configured key:
	// the key changed or the value was tampered with.
	ErrWrongKey = errors.New("stored secret does not decrypt: WUGSYNC_SECRET_KEY differs from the key it was sealed with, or the value was altered")
	// ErrMalformedSecret means the column does not hold a sealed value at all.
	ErrMalformedSecret = errors.New("stored secret is not in the sealed format")
	// ErrKeyRequired means no key is configured where one cannot be generated.
	ErrKeyRequired = errors.New("WUGSYNC_SECRET_KEY is required with PostgreSQL (generate one with: openssl rand -hex 32)")
)

// Sealer encrypts WUG passwords at rest with AES-256-GCM. The nonce is random
// per value, so the same password sealed twice gives different ciphertexts.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer builds a Sealer from a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext; the result is safe to store in a text column.
func (s *Sealer) Seal(plaintext string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	sealed := s.aead.Seal(nonce, nonce, []byte(plaintext), passwordAAD)
	return sealedPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// Open decrypts a value made by Seal. A wrong key or a changed byte gives
// ErrWrongKey, never garbage.
func (s *Sealer) Open(sealed string) (string, error) {
	if !strings.HasPrefix(sealed, sealedPrefix) {
		return "", ErrMalformedSecret
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return "", ErrMalformedSecret
	}
	nonce, body := raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():]
	plain, err := s.aead.Open(nil, nonce, body, passwordAAD)
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}

// SetPassword seals password into c.
func (c *WUGConnection) SetPassword(s *Sealer, password string) error {
	sealed, err := s.Seal(password)
	if err != nil {
		return err
	}
	c.PasswordEncrypted = sealed
	return nil
}

// Password opens c's stored password.
func (c WUGConnection) Password(s *Sealer) (string, error) {
	if c.PasswordEncrypted == "" {
		return "", nil
	}
	plain, err := s.Open(c.PasswordEncrypted)
	if err != nil {
		return "", fmt.Errorf("WUG connection %q password: %w", c.Name, err)
	}
	return plain, nil
}

// ParseSecretKey decodes WUGSYNC_SECRET_KEY (config.DecodeSecretKey),
// naming the variable when the value is not a key.
func ParseSecretKey(v string) ([]byte, error) {
	key, err := config.DecodeSecretKey(v)
	if err != nil {
		return nil, &config.Error{Variable: config.EnvSecretKey, Problem: err.Error()}
	}
	return key, nil
}

// LoadSealer returns the Sealer for a process. A configured key always wins.
// Without one, a SQLite database gets a key file beside it (created on first
// use, mode 0600) so the all-in-one mode needs no setup; PostgreSQL refuses,
// because a key kept on one pod's disk would strand the others.
func LoadSealer(cfg config.Config) (*Sealer, error) {
	if cfg.SecretKey != "" {
		key, err := ParseSecretKey(cfg.SecretKey)
		if err != nil {
			return nil, err
		}
		return NewSealer(key)
	}
	dbURL, err := config.ParseDatabaseURL(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if dbURL.Kind != config.DatabaseSQLite {
		return nil, ErrKeyRequired
	}
	key, err := loadOrCreateKeyFile(KeyFilePath(dbURL.DSN))
	if err != nil {
		return nil, err
	}
	return NewSealer(key)
}

// KeyFilePath is where LoadSealer keeps the generated key of a SQLite database.
func KeyFilePath(sqlitePath string) string { return sqlitePath + ".key" }

func loadOrCreateKeyFile(path string) ([]byte, error) {
	if data, err := os.ReadFile(path); err == nil {
		key, perr := ParseSecretKey(string(data))
		if perr != nil {
			return nil, fmt.Errorf("key file %s: %w", path, perr)
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create key file directory: %w", err)
		}
	}
	// Write a temporary file, then hard-link it into place: the link fails
	// when another process won the race, and then its complete key is read,
	// never a half-written one.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".wugsync-key-*")
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("create key file: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return loadOrCreateKeyFile(path)
	} else if err != nil {
		return nil, fmt.Errorf("install key file: %w", err)
	}
	return key, nil
}
