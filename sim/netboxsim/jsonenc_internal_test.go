package netboxsim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPythonStyleEncoding(t *testing.T) {
	t.Parallel()
	v := obj{{"a", 40.0}, {"b", []any{1, "x"}}, {"c", nil}, {"d", "é\"<"}, {"e", 1.5}, {"f", true}}
	require.Equal(t, `{"a": 40.0, "b": [1, "x"], "c": null, "d": "\u00e9\"<", "e": 1.5, "f": true}`, string(encodePython(v)))
	require.Equal(t, `{"a":40.0,"b":[1,"x"],"c":null,"d":"é\"<","e":1.5,"f":true}`, string(encodeREST(v)))
	require.Equal(t, "1e+16", pyFloat(1e16))
	require.Equal(t, "0.0", pyFloat(0))
}

func TestTimeFormats(t *testing.T) {
	t.Parallel()
	ts := time.Date(2025, 6, 12, 14, 3, 27, 601825000, time.UTC)
	require.Equal(t, "2025-06-12T14:03:27.601825Z", drfTime(ts))
	require.Equal(t, "2025-06-12T14:03:27.601Z", djangoTime(ts))
	require.Equal(t, "2025-06-12T14:03:27.601825+00:00", pythonISOTime(ts))
	whole := time.Date(2025, 6, 12, 14, 3, 27, 0, time.UTC)
	require.Equal(t, "2025-06-12T14:03:27Z", drfTime(whole), "isoformat drops zero microseconds")
	require.Equal(t, "2025-06-12T14:03:27+00:00", pythonISOTime(whole))
}

func TestNaturalCompare(t *testing.T) {
	t.Parallel()
	require.Negative(t, naturalCompare("sw2", "sw10"))
	require.Negative(t, naturalCompare("SW1", "sw2"))
	require.Positive(t, naturalCompare("sw10", "sw9"))
	require.Negative(t, naturalCompare("a", "ab"))
	require.Zero(t, naturalCompare("x1", "x1"))
}
