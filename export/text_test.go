package export

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestTruncate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"fits", "abc", 3, "abc"},
		{"ascii cut", "abcdef", 4, "abcd"},
		{"never splits a multi-byte rune", "aé", 1, "a"},
		{"astral rune counts two units", "a🛰", 2, "a"},
		{"astral rune fits in two", "🛰", 2, "🛰"},
		{"trailing space after the cut is dropped", "ab cd", 3, "ab"},
		{"zero", "abc", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Truncate(tt.in, tt.max)
			require.Equal(t, tt.want, got)
			require.True(t, utf8.ValidString(got))
		})
	}
}

func TestCleanText(t *testing.T) {
	t.Parallel()

	require.Equal(t, "a b c", cleanText(" a\tb\r\n c\x00 "))
	require.Equal(t, "ok \uFFFD", cleanText("ok \xff"), "invalid UTF-8 is replaced, not passed to WUG")
	require.Equal(t, "zürich 東京", cleanText("zürich  東京"))
	require.Equal(t, "", cleanText(" \n\t "))
}
