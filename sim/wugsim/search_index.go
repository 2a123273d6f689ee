package wugsim

import (
	"sort"
	"strings"
)

// gramSize is the n-gram length of the search index. Queries shorter than this scan every
// device.
const gramSize = 4

// searchIndex finds candidate devices for WUG's case-insensitive substring search without
// scanning the whole inventory, which matters at 100,000 devices. Posting lists only grow:
// a renamed or deleted device leaves stale entries behind, and every candidate is checked
// against the device's current text before it is returned.
type searchIndex struct {
	grams map[string][]int
}

func newSearchIndex() *searchIndex { return &searchIndex{grams: map[string][]int{}} }

// add indexes the texts of device id.
func (x *searchIndex) add(id int, texts ...string) {
	for _, t := range texts {
		t = strings.ToLower(t)
		for i := 0; i+gramSize <= len(t); i++ {
			g := t[i : i+gramSize]
			list := x.grams[g]
			if n := len(list); n > 0 && list[n-1] == id {
				continue
			}
			x.grams[g] = append(list, id)
		}
	}
}

// candidates returns ids that may contain q, sorted and unique, or ok=false when q is too
// short for the index and the caller must scan.
func (x *searchIndex) candidates(q string) (ids []int, ok bool) {
	q = strings.ToLower(q)
	if len(q) < gramSize {
		return nil, false
	}
	var best []int
	for i := 0; i+gramSize <= len(q); i++ {
		list, found := x.grams[q[i:i+gramSize]]
		if !found {
			return nil, true
		}
		if best == nil || len(list) < len(best) {
			best = list
		}
	}
	out := append([]int(nil), best...)
	sort.Ints(out)
	uniq := out[:0]
	for i, id := range out {
		if i == 0 || id != out[i-1] {
			uniq = append(uniq, id)
		}
	}
	return uniq, true
}

// matchesSearch is WUG's search predicate: q is a case-insensitive substring of any text.
func matchesSearch(q string, texts []string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), q) {
			return true
		}
	}
	return false
}
