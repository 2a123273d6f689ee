package models_test

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
)

func TestSealerRoundTrip(t *testing.T) {
	t.Parallel()
	sealer, err := models.NewSealer([]byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	a, err := sealer.Seal("hunter2", 1)
	require.NoError(t, err)
	b, err := sealer.Seal("hunter2", 1)
	require.NoError(t, err)
	require.NotEqual(t, a, b, "a random nonce per value")
	plain, err := sealer.Open(a, 1)
	require.NoError(t, err)
	require.Equal(t, "hunter2", plain)
}

func TestSealerDetectsTamperingAndWrongKey(t *testing.T) {
	t.Parallel()
	sealer, err := models.NewSealer([]byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	sealed, err := sealer.Seal("hunter2", 1)
	require.NoError(t, err)

	other, err := models.NewSealer([]byte(strings.Repeat("x", 32)))
	require.NoError(t, err)
	_, err = other.Open(sealed, 1)
	require.ErrorIs(t, err, models.ErrWrongKey)

	// Flip one character of the ciphertext body.
	body := []byte(sealed)
	i := len(body) - 5
	if body[i] == 'A' {
		body[i] = 'B'
	} else {
		body[i] = 'A'
	}
	_, err = sealer.Open(string(body), 1)
	require.ErrorIs(t, err, models.ErrWrongKey)

	_, err = sealer.Open("hunter2", 1)
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
		require.True(t, strings.HasPrefix(raw, "v2:"), "sealed for its row: %s", raw)

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

		sealed, err := first.Seal("pw", 1)
		require.NoError(t, err)
		second, err := models.LoadSealer(cfg)
		require.NoError(t, err)
		plain, err := second.Open(sealed, 1)
		require.NoError(t, err, "the second start reuses the generated key")
		require.Equal(t, "pw", plain)
	})
}

// TestPasswordIsBoundToItsRow: someone who can write the database but does
// not hold the key must not be able to move connection A's password to
// connection B, whose host they chose.
func TestPasswordIsBoundToItsRow(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		a := newConnection(t, bundle, "a") // password s3cret-pass
		b := models.NewWUGConnection()
		b.Name, b.Host, b.Username = "b", "attacker.example.net", "admin"
		require.NoError(t, bundle.db.Create(&b).Error)
		require.False(t, b.HasPassword())

		require.NoError(t, bundle.db.Model(&models.WUGConnection{}).Where("id = ?", b.ID).
			UpdateColumn("password_encrypted", a.PasswordEncrypted).Error)
		var moved models.WUGConnection
		require.NoError(t, bundle.db.First(&moved, b.ID).Error)
		require.Equal(t, a.PasswordEncrypted, moved.PasswordEncrypted)
		_, err := moved.Password(bundle.sealer)
		require.ErrorIs(t, err, models.ErrWrongKey, "A's password does not open as B's")

		requirePassword(t, bundle.db, bundle.sealer, a.ID, "s3cret-pass")
	})
}

// requirePassword checks the password stored for connection id.
func requirePassword(t *testing.T, db *gorm.DB, sealer *models.Sealer, id uint, want string) {
	t.Helper()
	var conn models.WUGConnection
	require.NoError(t, db.First(&conn, id).Error)
	require.True(t, strings.HasPrefix(conn.PasswordEncrypted, "v2:"), "sealed for its row: %s", conn.PasswordEncrypted)
	plain, err := conn.Password(sealer)
	require.NoError(t, err)
	require.Equal(t, want, plain)
}

// TestCreateSealsInTheInsertTransaction: the id is known only after the
// insert, and a failed insert stores nothing, password included.
func TestCreateSealsInTheInsertTransaction(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		conn := newConnection(t, bundle, "lab")
		require.True(t, strings.HasPrefix(conn.PasswordEncrypted, "v2:"), "the created value carries the sealed password")

		dup := models.NewWUGConnection()
		dup.Name, dup.Host, dup.Username = "lab", "other.example.net", "admin"
		require.NoError(t, dup.SetPassword(bundle.sealer, "other"))
		require.Error(t, bundle.db.Create(&dup).Error, "the name is taken")
		dup.ID, dup.Name = 0, "lab-2"
		require.NoError(t, bundle.db.Create(&dup).Error, "the password is sealed on the retry")
		requirePassword(t, bundle.db, bundle.sealer, dup.ID, "other")
	})
}

// TestMigrationResealsOldPasswords: rows sealed in the format of before
// 00002 are re-sealed for their row by the migration, which is then a no-op.
func TestMigrationResealsOldPasswords(t *testing.T) {
	t.Parallel()
	forEachBackendAt(t, 1, func(t *testing.T, db *gorm.DB) {
		sealer, err := models.NewSealer([]byte(strings.Repeat("k", 32)))
		require.NoError(t, err)

		ids := map[string]uint{}
		for _, name := range []string{"east", "west"} {
			old, err := models.SealV1(sealer, name+"-pass")
			require.NoError(t, err)
			conn := models.NewWUGConnection()
			conn.Name, conn.Host, conn.Username, conn.PasswordEncrypted = name, name+".example.net", "admin", old
			// Only the columns of schema version 1: later versions add
			// fields the model knows and this schema does not have yet.
			require.NoError(t, db.Select("Name", "Host", "Username", "PasswordEncrypted").Create(&conn).Error)
			ids[name] = conn.ID
		}

		_, err = models.Migrate(context.Background(), db)
		require.ErrorIs(t, err, models.ErrMigrationNeedsKey, "without the key the migration stops, changing nothing")
		pending, err := models.PendingMigrations(context.Background(), db)
		require.NoError(t, err)
		require.Positive(t, pending)

		loads := 0
		withKey := models.WithSealer(func() (*models.Sealer, error) { loads++; return sealer, nil })
		res, err := models.Migrate(context.Background(), db, withKey)
		require.NoError(t, err)
		require.Contains(t, res.Applied, int64(2))
		require.Equal(t, 1, loads)
		for name, id := range ids {
			requirePassword(t, db, sealer, id, name+"-pass")
		}
		res, err = models.Migrate(context.Background(), db, withKey)
		require.NoError(t, err)
		require.Empty(t, res.Applied)
		require.Equal(t, 1, loads, "nothing left to re-seal")
	})
}
