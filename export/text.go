package export

import (
	"strings"
	"unicode"
	"unicode/utf16"
)

// WUG field limits (reference/wug-api.md §4.1). WUG is a .NET server, so its
// "max length" counts UTF-16 code units: a character outside the Basic
// Multilingual Plane (most emoji) counts twice. Truncating by that measure
// is safe whichever way WUG actually counts.
const (
	maxDisplayName    = 150
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

// truncate shortens s to at most max UTF-16 code units without splitting a
// character, so the result is always valid UTF-8 and within WUG's limit.
func truncate(s string, max int) string {
	units := 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if n < 0 { // invalid rune: WUG would receive U+FFFD, one unit
			n = 1
		}
		if units+n > max {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace)
		}
		units += n
	}
	return s
}
