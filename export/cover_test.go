package export

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSearchCandidatesArePrefixesDownToTheFirstSeparator(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"10.16.0.", "10.16.0", "10.16.", "10.16", "10.1", "10."}, SearchCandidates("10.16.0."))
	require.Equal(t, []string{"2001:db8::", "2001:db8:", "2001:db8", "2001:db", "2001:d", "2001:"}, SearchCandidates("2001:db8::"))
	// The text of ::1's subnet starts with its separator: the shortest
	// candidate is that separator.
	require.Equal(t, []string{"::", ":"}, SearchCandidates("::"))
	require.Equal(t, []string{"10"}, SearchCandidates("10"), "no separator: only the text")
}

// pagesOf estimates pages from how many devices WUG holds per subnet, as
// a look-up does: a text finds the subnets whose addresses contain it.
func pagesOf(held map[string]int) func(string) int {
	return func(text string) int {
		n := 0
		for subnet, count := range held {
			if strings.Contains(subnet, text) {
				n += count
			}
		}
		return (n + SearchPageSize - 1) / SearchPageSize
	}
}

func TestCoverSearchesPicksTheFewestPages(t *testing.T) {
	t.Parallel()
	subnets := []string{"10.16.0.", "10.19.0.", "10.20.0."}
	// WUG holds a batch and little else: one search finds all three subnets.
	require.Equal(t, map[string][]string{"10.": subnets},
		CoverSearches(subnets, pagesOf(map[string]int{"10.16.0.": 60, "10.19.0.": 60, "10.20.0.": 60})))

	// "10." holds three pages, "10.1" one: the shared prefix for 16 and 19,
	// the subnet's own search for 20 (2 pages instead of 3).
	require.Equal(t, map[string][]string{"10.1": {"10.16.0.", "10.19.0."}, "10.20.0.": {"10.20.0."}},
		CoverSearches(subnets, pagesOf(map[string]int{"10.16.0.": 60, "10.19.0.": 60, "10.12.0.": 100,
			"10.20.0.": 60, "10.21.0.": 200, "10.5.0.": 200})))

	// Every prefix holds more pages than the subnets it covers: one search
	// a subnet.
	require.Equal(t, map[string][]string{"10.16.0.": {"10.16.0."}, "10.19.0.": {"10.19.0."}, "10.20.0.": {"10.20.0."}},
		CoverSearches(subnets, pagesOf(map[string]int{"10.16.0.": 60, "10.19.0.": 60, "10.20.0.": 60,
			"10.12.0.": 250, "10.17.0.": 250, "10.21.0.": 250})))

	// A tie goes to the longer texts: two subnets in two pages either way.
	require.Equal(t, map[string][]string{"10.16.0.": {"10.16.0."}, "10.20.0.": {"10.20.0."}},
		CoverSearches([]string{"10.16.0.", "10.20.0."}, pagesOf(map[string]int{"10.16.0.": 100, "10.20.0.": 100, "10.5.0.": 200})))

	// A subnet larger than a page costs its pages wherever it is searched:
	// the longest prefix both share adds no page.
	require.Equal(t, map[string][]string{"10.1": {"10.16.0.", "10.19.0."}},
		CoverSearches([]string{"10.16.0.", "10.19.0."}, pagesOf(map[string]int{"10.16.0.": 300, "10.19.0.": 20})))
}

func TestCoverSearchesSearchesANestedSubnetWithItsParent(t *testing.T) {
	t.Parallel()
	// "2001:db8:1::" is itself a subnet text and a prefix of the other:
	// its search finds both.
	got := CoverSearches([]string{"2001:db8:1::", "2001:db8:1::5:"}, pagesOf(map[string]int{"2001:db8:1::": 10, "2001:db8:1::5:": 10, "2001:db8:2::": 900}))
	require.Equal(t, map[string][]string{"2001:db8:1::": {"2001:db8:1::", "2001:db8:1::5:"}}, got)
}
