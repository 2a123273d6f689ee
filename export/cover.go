package export

import (
	"sort"
	"strings"

	"github.com/wugsync/wugsync/wug"
)

// SearchCandidates returns the texts that could stand in for a subnet's
// search text (AddressSearchText): the text itself and each shorter prefix
// down to the first separator included ("10.16.0.", "10.16.0", "10.16.",
// "10.16", "10.1", "10."). WUG's search is a substring match, so a prefix
// finds every address the longer text finds, and more.
func SearchCandidates(subnet string) []string {
	first := strings.IndexAny(subnet, ".:")
	if first < 0 {
		return []string{subnet}
	}
	var out []string
	for n := len(subnet); n > first; n-- {
		out = append(out, subnet[:n])
	}
	return out
}

// CoverSearches picks the search texts that find every address of the
// given subnet texts with the fewest pages in all: a look-up for earlier
// creates pays one call per page of each search, and a page holds up to
// 250 devices, so one search on a shared prefix ("10.1" for 10.16.0.0/24
// and 10.19.0.0/24) is cheaper than one per subnet while the devices WUG
// holds under that prefix fit in fewer pages, and dearer once they do not.
// pages estimates the calls a search for a text costs: its pages, or 0
// when its answer is at hand already.
//
// The candidates form a tree of prefixes, so the cheapest cover is exact:
// a node either is searched itself or leaves its subnets to its children,
// whichever costs fewer pages; on a tie the longer texts win (smaller
// answers). It returns, per chosen text, the subnets it stands for.
func CoverSearches(subnets []string, pages func(text string) int) map[string][]string {
	type node struct {
		children map[string]bool
		subnet   bool // a subnet to find: it must be searched itself or by an ancestor
	}
	nodes := map[string]*node{}
	var roots []string
	get := func(text string) *node {
		n := nodes[text]
		if n == nil {
			n = &node{children: map[string]bool{}}
			nodes[text] = n
		}
		return n
	}
	for _, s := range subnets {
		c := SearchCandidates(s)
		get(s).subnet = true
		for i := 0; i+1 < len(c); i++ {
			get(c[i+1]).children[c[i]] = true
		}
		get(c[len(c)-1])
		roots = append(roots, c[len(c)-1])
	}
	cost := map[string]int{}
	pick := map[string]bool{} // searched itself rather than through its children
	var best func(text string) int
	best = func(text string) int {
		if c, ok := cost[text]; ok {
			return c
		}
		n := nodes[text]
		self := pages(text)
		// A text that is no subnet is some subnet's prefix, so it has
		// children: it is searched itself only when that costs fewer pages.
		if !n.subnet {
			below := 0
			for child := range n.children {
				below += best(child)
			}
			if below <= self {
				cost[text] = below
				return below
			}
		}
		// A node with children must still cost its children when it is a
		// subnet (they are subnets too, found by its search).
		cost[text], pick[text] = self, true
		return self
	}
	out := map[string][]string{}
	var collect func(text, chosen string)
	collect = func(text, chosen string) {
		if chosen == "" && pick[text] {
			chosen = text
		}
		if nodes[text].subnet {
			out[chosen] = append(out[chosen], text)
		}
		for child := range nodes[text].children {
			collect(child, chosen)
		}
	}
	sort.Strings(roots)
	for i, r := range roots {
		if i > 0 && roots[i-1] == r {
			continue
		}
		best(r)
		collect(r, "")
	}
	for _, list := range out {
		sort.Strings(list)
	}
	return out
}

// SearchPageSize is how many devices one page of a WUG search holds
// (wug.MaxPageSize, the largest page WUG serves).
const SearchPageSize = wug.MaxPageSize
