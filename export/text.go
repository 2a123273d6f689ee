package export

import (
	"strings"
	"unicode"

	"github.com/wugsync/wugsync/wug"
)

// WUG field limits (reference/wug-api.md §4.1), counted as wug.TextLen
// counts: in UTF-16 code units, as the .NET server does. The display name's
// limit is the client's own, wug.MaxDisplayName.
const (
	maxAttributeName  = 150
	maxAttributeValue = 3000
	maxBrandOS        = 256
	maxNetworkName    = 256
	maxGroupName      = 100
	maxNoteLine       = 1000
)

// cleanText makes free text from NetBox safe for a one-line WUG field:
// invalid UTF-8 is replaced, control characters (newlines, tabs) become
// spaces, runs of whitespace collapse to one space and the ends are trimmed.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Truncate shortens s to at most max UTF-16 code units (wug.TextLen's
// measure) without splitting a character, so the result is always valid
// UTF-8 and within WUG's limit; trailing space at the cut goes too.
func Truncate(s string, max int) string {
	units := 0
	for i, r := range s {
		n := wug.TextLen(string(r))
		if units+n > max {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace)
		}
		units += n
	}
	return s
}
