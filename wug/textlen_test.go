package wug

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTextLenCountsAsDotNetDoes(t *testing.T) {
	t.Parallel()

	require.Equal(t, 3, TextLen("abc"))
	require.Equal(t, 1, TextLen("é"), "one BMP character is one unit")
	require.Equal(t, 2, TextLen("😀"), "outside the BMP: a surrogate pair")
	require.Equal(t, 1, TextLen("\xff"), "an invalid byte becomes one U+FFFD")

	// 75 emoji are 150 units: allowed; 76 are 152: WUG would refuse them,
	// although they are only 76 runes.
	ok := DeviceTemplate{DisplayName: strings.Repeat("😀", 75), Interfaces: []TemplateInterface{{NetworkAddress: "10.0.0.1"}}}
	require.Empty(t, checkTemplate(ok))
	long := ok
	long.DisplayName = strings.Repeat("😀", 76)
	require.Equal(t, "displayName is longer than 150 characters", checkTemplate(long))
}
