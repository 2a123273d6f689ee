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

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
)

// Stored formats of a sealed password, told apart by their prefix. v1
// (before migration 00002) bound a value to the column only, so a value
// copied from one row opened in another; v2 binds it to its row too, and is
// the only format Open accepts. Migration 00002 re-seals v1 values.
const (
	sealedPrefixV1 = "v1:"
	sealedPrefix   = "v2:"
)

// passwordAAD binds ciphertexts to their purpose: a value sealed for another
// column cannot be replayed as a WUG password.
var passwordAAD = []byte("wugsync/wug_connections.password")

// rowAAD binds a password to its connection too: a sealed value copied into
// another row (by someone with write access to the database but not the
// key) does not open there, so it cannot be sent to that row's host.
func rowAAD(connectionID uint) []byte {
	return []byte(fmt.Sprintf("wugsync/wug_connections.password/%d", connectionID))
}

// Secret errors, checked with errors.Is.
var (
	// ErrWrongKey means a stored secret does not open under the configured key
	// for its row: the key changed, the value was altered, or it was sealed
	// for another connection.
	ErrWrongKey = errors.New("stored secret does not decrypt: WUGSYNC_SECRET_KEY differs from the key it was sealed with, the value was altered, or it belongs to another connection")
	// ErrMalformedSecret means the column does not hold a sealed value at all.
	ErrMalformedSecret = errors.New("stored secret is not in the sealed format")
	// ErrKeyRequired means no key is configured where one cannot be generated.
	ErrKeyRequired = errors.New("WUGSYNC_SECRET_KEY is required with PostgreSQL (generate one with: openssl rand -hex 32)")
	// ErrNoConnectionID means a password was sealed or opened for a row
	// that has no id yet.
	ErrNoConnectionID = errors.New("a password is sealed for a stored connection: the connection has no id yet")
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

// Seal encrypts the password of connection connectionID; the result is safe
// to store in a text column and opens only for that connection.
func (s *Sealer) Seal(plaintext string, connectionID uint) (string, error) {
	if connectionID == 0 {
		return "", ErrNoConnectionID
	}
	return s.seal(sealedPrefix, plaintext, rowAAD(connectionID))
}

// Open decrypts a value made by Seal for the same connection. A wrong key,
// a changed byte or another connection's value gives ErrWrongKey, never
// garbage; the pre-00002 format gives ErrMalformedSecret.
func (s *Sealer) Open(sealed string, connectionID uint) (string, error) {
	if connectionID == 0 {
		return "", ErrNoConnectionID
	}
	return s.open(sealedPrefix, sealed, rowAAD(connectionID))
}

// sealV1 and openV1 handle the format of before migration 00002; only the
// migration uses them.
func (s *Sealer) sealV1(plaintext string) (string, error) {
	return s.seal(sealedPrefixV1, plaintext, passwordAAD)
}

func (s *Sealer) openV1(sealed string) (string, error) {
	return s.open(sealedPrefixV1, sealed, passwordAAD)
}

func (s *Sealer) seal(prefix, plaintext string, aad []byte) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	sealed := s.aead.Seal(nonce, nonce, []byte(plaintext), aad)
	return prefix + base64.StdEncoding.EncodeToString(sealed), nil
}

func (s *Sealer) open(prefix, sealed string, aad []byte) (string, error) {
	if !strings.HasPrefix(sealed, prefix) {
		return "", ErrMalformedSecret
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return "", ErrMalformedSecret
	}
	nonce, body := raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():]
	plain, err := s.aead.Open(nil, nonce, body, aad)
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}

// pendingPassword is a password given to a connection that has no id yet;
// AfterCreate seals it once the insert has assigned one.
type pendingPassword struct {
	sealer *Sealer
	plain  string
}

// SetPassword seals password into c for c's row. A connection not inserted
// yet (ID 0) keeps it until Create: AfterCreate seals it with the new id and
// stores it in the same transaction as the insert.
func (c *WUGConnection) SetPassword(s *Sealer, password string) error {
	if c.ID == 0 {
		c.pending = &pendingPassword{sealer: s, plain: password}
		return nil
	}
	sealed, err := s.Seal(password, c.ID)
	if err != nil {
		return err
	}
	c.PasswordEncrypted, c.pending = sealed, nil
	return nil
}

// HasPassword reports whether c has a password, stored or about to be.
func (c WUGConnection) HasPassword() bool { return c.PasswordEncrypted != "" || c.pending != nil }

// AfterCreate seals a password set before the insert with the id the insert
// assigned. GORM runs it inside Create's transaction, so a connection is
// never stored without the password it was created with.
func (c *WUGConnection) AfterCreate(tx *gorm.DB) error {
	if c.pending == nil {
		return nil
	}
	sealed, err := c.pending.sealer.Seal(c.pending.plain, c.ID)
	if err != nil {
		return fmt.Errorf("seal password of connection %q: %w", c.Name, err)
	}
	if err := tx.Model(c).UpdateColumn("password_encrypted", sealed).Error; err != nil {
		return fmt.Errorf("store password of connection %q: %w", c.Name, err)
	}
	c.PasswordEncrypted, c.pending = sealed, nil
	return nil
}

// Password opens c's stored password.
func (c WUGConnection) Password(s *Sealer) (string, error) {
	if c.PasswordEncrypted == "" {
		if c.pending != nil {
			return c.pending.plain, nil
		}
		return "", nil
	}
	plain, err := s.Open(c.PasswordEncrypted, c.ID)
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
