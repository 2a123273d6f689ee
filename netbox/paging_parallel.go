package netbox

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"sync"
)

// parallelPages is how many pages a parallel listing reads at once. Every
// read still waits for the NetBox rate limiter (WUGSYNC_NETBOX_RATE_LIMIT),
// so this bounds the requests in flight and the pages held, not the rate.
// The primaries listing is what a cold export's first write waits for:
// after its first page, which says how many there are, the rest is read
// in rounds of parallelPages. Sixteen make one round of up to 17,000
// devices (at NetBox's page of 1,000): at 10,000 devices the latency
// bench's first template call waits for two pages, where eight took
// three rounds and four took four (0.96 s at four, 0.71 to 0.84 s at
// eight). A NetBox with fewer worker processes (gunicorn's 2 × cores + 1)
// queues the rest; its pages of trimmed primaries are small to hold.
const parallelPages = 16

// listParallel streams, in id order and each object once, what list
// streams, but reads the pages after the first concurrently: on a NetBox
// that takes a second a page, a listing of ten pages takes about three
// seconds instead of ten. It holds at most parallelPages pages besides
// the one being yielded. With offset paging configured (a server that
// mishandles id filters) it is list.
//
// The first page is the one keyset listing's first page, and its count
// says how many objects there are. The other pages are offset windows of
// the same id ordering, each starting on the last object of the one
// before (offset k*(n-1) for pages of n), so that consecutive pages must
// share an object: that costs one page in a thousand. The rule that keeps the listing complete and free of
// duplicates while NetBox changes under it:
//
//   - Only ids above the last one yielded are yielded, so an object that a
//     deletion or insertion before it moved across a page boundary is not
//     yielded twice (dedupe by id: the pages are in id order).
//   - A page whose first id is above the last one yielded means objects
//     were deleted before it and the window slid past objects never seen:
//     the ids between the two are read again with id__gte/id__lt (keyset,
//     immune to shifts) before the page is used.
//   - A page that comes back empty, or a last page that says there is a
//     next one, means the listing shrank or grew while being read: the rest
//     is read by keyset from the last id yielded.
//
// So every object that exists for the whole listing is yielded once, as
// with sequential keyset paging; an object created or deleted meanwhile
// may or may not be, as with any listing.
func listParallel[T any](ctx context.Context, c *Client, path string, query url.Values, idOf func(T) int64) iter.Seq2[T, error] {
	if c.s.paging == PagingOffset {
		return list(ctx, c, path, query, idOf)
	}
	return func(yield func(T, error) bool) {
		var zero T
		if err := readParallel(ctx, c, path, query, idOf, yield); err != nil && !errors.Is(err, errStopped) {
			yield(zero, err)
		}
	}
}

// pageResult is one offset page read by a parallel listing.
type pageResult[T any] struct {
	page page[T]
	err  error
}

func readParallel[T any](ctx context.Context, c *Client, path string, query url.Values, idOf func(T) int64, yield func(T, error) bool) error {
	q := cloneValues(query)
	q.Set("ordering", "id")
	q.Set("limit", strconv.Itoa(c.s.pageSize))
	var first page[T]
	if _, err := c.getJSON(ctx, path, q, &first); err != nil {
		return fmt.Errorf("list %s page 1: %w", path, listError(c, err, q))
	}
	s := &parallelStream[T]{path: path, idOf: idOf, yield: yield, last: -1}
	if err := s.emit(first.Results, 1); err != nil {
		return err
	}
	if first.Next == nil || len(first.Results) == 0 {
		return nil
	}
	// The server's page size may be below ours (MAX_PAGE_SIZE): the first
	// page's length is the step. Without a count (NetBox's cursor mode
	// sends null) the rest is read one page after another.
	step := len(first.Results)
	if first.Count == nil || step < 2 {
		return listKeysetRange(ctx, c, path, query, idOf, s.last+1, 0, yield)
	}
	var offsets []int
	for off := step - 1; off < *first.Count-1; off += step - 1 {
		offsets = append(offsets, off)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel() // the reads still in flight end, then nothing is left running
		wg.Wait()
	}()
	results := make([]chan pageResult[T], len(offsets))
	for i := range results {
		results[i] = make(chan pageResult[T], 1)
	}
	slots := make(chan struct{}, parallelPages)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, off := range offsets {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				pq := cloneValues(q)
				pq.Set("offset", strconv.Itoa(off))
				var p page[T]
				_, err := c.getJSON(ctx, path, pq, &p)
				if err != nil {
					err = fmt.Errorf("list %s page %d (offset %d): %w", path, i+2, off, listError(c, err, pq))
				}
				results[i] <- pageResult[T]{page: p, err: err}
			}()
		}
	}()
	for i := range offsets {
		var r pageResult[T]
		select {
		case r = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-slots
		if r.err != nil {
			return r.err
		}
		items := r.page.Results
		if len(items) == 0 {
			return s.tail(ctx, c, query)
		}
		if head := idOf(items[0]); head > s.last+1 {
			if err := listKeysetRange(ctx, c, path, query, idOf, s.last+1, head, s.yieldOne); err != nil {
				return err
			}
		}
		if err := s.emit(items, i+2); err != nil {
			return err
		}
		if i == len(offsets)-1 && r.page.Next != nil {
			return s.tail(ctx, c, query)
		}
	}
	return nil
}

// parallelStream yields the objects of a parallel listing in id order,
// each once, and remembers the last id it yielded.
type parallelStream[T any] struct {
	path  string
	idOf  func(T) int64
	yield func(T, error) bool
	last  int64
}

// emit yields a page's objects above the last id yielded. A page out of
// id order means NetBox ignored ordering=id, and no page boundary could
// be trusted.
func (s *parallelStream[T]) emit(items []T, pageNo int) error {
	prev := int64(-1)
	for _, item := range items {
		id := s.idOf(item)
		if id <= prev {
			return fmt.Errorf("list %s page %d: id %d after %d: netbox ignored ordering=id, cannot page safely", s.path, pageNo, id, prev)
		}
		prev = id
		if id <= s.last {
			continue
		}
		if !s.yieldOne(item, nil) {
			return errStopped
		}
	}
	return nil
}

// yieldOne yields one object and advances the last id.
func (s *parallelStream[T]) yieldOne(item T, err error) bool {
	s.last = s.idOf(item)
	return s.yield(item, err)
}

// tail reads, by keyset, everything after the last id yielded.
func (s *parallelStream[T]) tail(ctx context.Context, c *Client, query url.Values) error {
	return listKeysetRange(ctx, c, s.path, query, s.idOf, s.last+1, 0, s.yieldOne)
}
