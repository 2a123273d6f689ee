package models_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
)

func TestSealerRoundTrip(t *testing.T) {
	t.Parallel()
	sealer, err := models.NewSealer([]byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	a, err := sealer.Seal("hunter2")
	require.NoError(t, err)
	b, err := sealer.Seal("hunter2")
	require.NoError(t, err)
	require.NotEqual(t, a, b, "a random nonce per value")
	plain, err := sealer.Open(a)
	require.NoError(t, err)
	require.Equal(t, "hunter2", plain)
}

func TestSealerDetectsTamperingAndWrongKey(t *testing.T) {
	t.Parallel()
	sealer, err := models.NewSealer([]byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	sealed, err := sealer.Seal("hunter2")
	require.NoError(t, err)

	other, err := models.NewSealer([]byte(strings.Repeat("x", 32)))
	require.NoError(t, err)
	_, err = other.Open(sealed)
	require.ErrorIs(t, err, models.ErrWrongKey)

	// Flip one character of the ciphertext body.
	body := []byte(sealed)
	i := len(body) - 5
	if body[i] == 'A' {
		body[i] = 'B'
	} else {
		body[i] = 'A'
	}
	_, err = sealer.Open(string(body))
	require.ErrorIs(t, err, models.ErrWrongKey)

	_, err = sealer.Open("hunter2")
	require.ErrorIs(t, err, models.ErrMalformedSecret, "plaintext in the column is refused, not returned")
}

func TestStoredPasswordIsNotPlaintext(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		conn := newConnection(t, bundle, "lab") // password s3cret-pass
		var raw string
		require.NoError(t, bundle.db.Raw("SELECT password_encrypted FROM wug_connections WHERE id = ?", conn.ID).Scan(&raw).Error)
		require.NotEmpty(t, raw)
		require.NotContains(t, raw, "s3cret-pass")
		require.True(t, strings.HasPrefix(raw, "v1:"))

		var loaded models.WUGConnection
		require.NoError(t, bundle.db.First(&loaded, conn.ID).Error)
		plain, err := loaded.Password(bundle.sealer)
		require.NoError(t, err)
		require.Equal(t, "s3cret-pass", plain)

		wrong, err := models.NewSealer([]byte(strings.Repeat("w", 32)))
		require.NoError(t, err)
		_, err = loaded.Password(wrong)
		require.ErrorIs(t, err, models.ErrWrongKey)
		require.Contains(t, err.Error(), `"lab"`, "the error names the connection")
	})
}

func TestLoadSealer(t *testing.T) {
	t.Parallel()
	t.Run("configured hex key", func(t *testing.T) {
		t.Parallel()
		key := hex.EncodeToString([]byte(strings.Repeat("z", 32)))
		s, err := models.LoadSealer(config.Config{SecretKey: key, DatabaseURL: "postgres://db/x"})
		require.NoError(t, err)
		require.NotNil(t, s)
	})
	t.Run("bad key names the variable", func(t *testing.T) {
		t.Parallel()
		_, err := models.LoadSealer(config.Config{SecretKey: "short", DatabaseURL: "sqlite://x.db"})
		require.ErrorIs(t, err, config.ErrInvalid)
		require.Contains(t, err.Error(), "WUGSYNC_SECRET_KEY")
	})
	t.Run("postgres without key refuses", func(t *testing.T) {
		t.Parallel()
		_, err := models.LoadSealer(config.Config{DatabaseURL: "postgres://db/x"})
		require.ErrorIs(t, err, models.ErrKeyRequired)
	})
	t.Run("sqlite generates a key file once", func(t *testing.T) {
		t.Parallel()
		dbPath := filepath.Join(t.TempDir(), "w.db")
		cfg := config.Config{DatabaseURL: "sqlite://" + dbPath}
		first, err := models.LoadSealer(cfg)
		require.NoError(t, err)
		info, err := os.Stat(models.KeyFilePath(dbPath))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

		sealed, err := first.Seal("pw")
		require.NoError(t, err)
		second, err := models.LoadSealer(cfg)
		require.NoError(t, err)
		plain, err := second.Open(sealed)
		require.NoError(t, err, "the second start reuses the generated key")
		require.Equal(t, "pw", plain)
	})
}
