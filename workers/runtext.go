package workers

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wugsync/wugsync/models"
)

// cleanText makes text from outside (NetBox's and WUG's error texts, which
// may quote what they were sent) storable on every database: invalid UTF-8
// becomes U+FFFD and every control character (Unicode Cc) its escaped form,
// so a NUL can no longer make the write fail on PostgreSQL, and a person
// still sees that it was there.
func cleanText(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// plainText is the last resort for a text a database refused even cleaned:
// printable ASCII only, at most 500 bytes.
func plainText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 500 {
			break
		}
		if r >= 0x20 && r < 0x7f {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeRunEnd stores the end of an open run with its message and reports
// whether the run was still open. Ending a run must not fail, or the run
// would hold its connection's slot: if the database refuses the write, it
// tries again with the message reduced to plain text, then with a message of
// its own.
func (w *Worker) writeRunEnd(ctx context.Context, runID uint, status models.RunStatus, message string, now time.Time) (bool, error) {
	var err error
	for _, text := range []string{
		cleanText(message),
		plainText(message),
		"the error text could not be stored",
	} {
		var ended bool
		ended, err = w.store.EndRun(ctx, runID, status, text, string(status)+": "+text, now)
		if err == nil {
			return ended, nil
		}
		w.p.Log.WithError(err).WithField("run_id", runID).Warn("could not store the end of a run; trying again with a plainer message")
	}
	return false, err
}
