package wugsim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// maxBodyBytes bounds request bodies; a 499-template batch is well under it.
const maxBodyBytes = 16 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeData answers with the Result envelope {"data": v}.
func writeData(w http.ResponseWriter, v any) { writeJSON(w, http.StatusOK, map[string]any{"data": v}) }

// writeError answers with the documented error shape {"error":{"status","code","message"}}.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"status": status, "code": errorCode(status), "message": message,
	}})
}

func errorCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequest"
	case http.StatusUnauthorized:
		return "Unauthorized"
	case http.StatusNotFound:
		return "NotFound"
	case http.StatusMethodNotAllowed:
		return "MethodNotAllowed"
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	default:
		return strings.ReplaceAll(http.StatusText(status), " ", "")
	}
}

// successResult is SuccessResult; counted is CountedSuccessResult with the spec's spelling.
type successResult struct {
	Success bool `json:"success"`
}

type counted struct {
	SuccessfulOperations int      `json:"successfulOperations"`
	ResourcesNotAllowed  []string `json:"resourcesNotAllowed"`
	ResourcesWithErros   []string `json:"resourcesWithErros"`
	Errors               []string `json:"errors"`
	LimitReached         bool     `json:"limitReached"`
	MaximumReached       bool     `json:"maximumReached"`
	Success              bool     `json:"success"`
}

func newCounted() *counted {
	return &counted{ResourcesNotAllowed: []string{}, ResourcesWithErros: []string{}, Errors: []string{}, Success: true}
}

func (c *counted) ok() { c.SuccessfulOperations++ }

func (c *counted) fail(resource, msg string) {
	c.ResourcesWithErros = append(c.ResourcesWithErros, resource)
	c.Errors = append(c.Errors, msg)
	c.Success = false
}

// decodeBody reads a JSON request body into v. Keys match in any case and unknown fields are
// ignored, as on the real server.
func decodeBody(r *http.Request, v any) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(raw) > maxBodyBytes {
		return errors.New("request body too large")
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return errors.New("request body is required")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("request body is not valid: %w", err)
	}
	return nil
}

// pager is keyset paging with WUG's opaque pageId: the token carries the last key returned
// and a hash of the query, because "the same parameters must be used in each request".
type pager struct {
	limit  int
	after  int
	pageID string
	hash   uint32
}

// newPager reads limit and pageId. An unusable value answers 400 and returns ok=false.
func (s *Server) newPager(w http.ResponseWriter, r *http.Request, kind string) (pager, bool) {
	q := r.URL.Query()
	p := pager{limit: s.pageLimit, after: -1 << 62, hash: queryHash(kind, r.URL.Path, q)}
	if raw := strings.TrimSpace(param(q, "limit")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q is not a valid number", raw))
			return p, false
		}
		if n > 0 && n < p.limit {
			p.limit = n
		}
	}
	if raw := strings.TrimSpace(param(q, "pageId")); raw != "" {
		after, hash, err := decodePageID(raw)
		if err != nil || hash != p.hash {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("pageId %q is not valid for this query", raw))
			return p, false
		}
		p.after, p.pageID = after, raw
	}
	return p, true
}

func queryHash(kind, path string, q url.Values) uint32 {
	h := fnv.New32a()
	_, _ = io.WriteString(h, kind+"|"+strings.ToLower(path))
	keys := make([]string, 0, len(q))
	for k := range q {
		if lk := strings.ToLower(k); lk != "pageid" && lk != "limit" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		_, _ = io.WriteString(h, "|"+strings.ToLower(k)+"="+strings.Join(q[k], ","))
	}
	return h.Sum32()
}

func encodePageID(after int, hash uint32) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d.%08x", after, hash)))
}

func decodePageID(s string) (int, uint32, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, 0, err
	}
	afterText, hashText, found := strings.Cut(string(raw), ".")
	if !found {
		return 0, 0, errors.New("malformed page id")
	}
	after, err := strconv.Atoi(afterText)
	if err != nil {
		return 0, 0, err
	}
	hash, err := strconv.ParseUint(hashText, 16, 32)
	if err != nil {
		return 0, 0, err
	}
	return after, uint32(hash), nil
}

// takePage walks keys (ascending) after p.after and keeps up to p.limit items that get
// accepts. It looks one item ahead so that the last page carries no nextPageId.
func takePage[T any](p pager, keys []int, get func(int) (T, bool)) (items []T, next string) {
	items = []T{}
	start := sort.SearchInts(keys, p.after+1)
	last := p.after
	for i := start; i < len(keys); i++ {
		item, ok := get(keys[i])
		if !ok {
			continue
		}
		if len(items) == p.limit {
			return items, encodePageID(last, p.hash)
		}
		items = append(items, item)
		last = keys[i]
	}
	return items, ""
}

// writePage answers with the PageResult envelope.
func writePage(w http.ResponseWriter, p pager, size int, next string, data any) {
	paging := map[string]any{"size": size}
	if p.pageID != "" {
		paging["pageId"] = p.pageID
	}
	if next != "" {
		paging["nextPageId"] = next
	}
	writeJSON(w, http.StatusOK, map[string]any{"paging": paging, "data": data})
}

// param returns a query parameter, matching its name in any case as ASP.NET does.
func param(q url.Values, key string) string {
	if v, ok := q[key]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range q {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// queryAll returns every value of a repeatable query parameter (names=a&names=b), any case.
func queryAll(q url.Values, key string) []string {
	var out []string
	for k, v := range q {
		if strings.EqualFold(k, key) || strings.EqualFold(k, key+"[]") {
			out = append(out, v...)
		}
	}
	return out
}

// queryBool reads a boolean query parameter with a default.
func queryBool(q url.Values, key string, def bool) (bool, error) {
	raw := strings.TrimSpace(param(q, key))
	if raw == "" {
		return def, nil
	}
	v, err := strconv.ParseBool(strings.ToLower(raw))
	if err != nil {
		return def, fmt.Errorf("%s %q is not a boolean", key, raw)
	}
	return v, nil
}
