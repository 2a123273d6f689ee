package netboxsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Delivery is one webhook the simulator sent or tried to send.
type Delivery struct {
	Event      string
	ObjectType string
	ObjectID   int
	RequestID  string
	// URL is where it went; EventRule names the event rule that sent it,
	// empty for the target set by Options.WebhookURL or SetWebhookTarget.
	URL       string
	EventRule string
	// Body is the exact bytes POSTed; Signature the X-Hook-Signature sent
	// (empty without a secret).
	Body      []byte
	Signature string
	// StatusCode is the receiver's answer; 0 when the request failed.
	StatusCode int
	// Err describes a failed delivery. NetBox does not retry by default,
	// and neither does the simulator.
	Err string
	// Duplicate marks the extra copy sent by WebhookDuplicateEvery.
	Duplicate bool
}

type pendingDelivery struct {
	event      string
	objectType string
	objectID   int
	requestID  string
	body       []byte
	duplicate  bool
	target     hookTarget
}

// hookTarget is one event rule with a webhook action, resolved: which
// events it wants and where and how they go.
type hookTarget struct {
	rule        string
	objectTypes []string
	eventTypes  []string
	url         string
	method      string
	contentType string
	secret      string
}

func (h hookTarget) wants(ev *event) bool {
	return slices.Contains(h.objectTypes, ev.objectType) && slices.Contains(h.eventTypes, eventTypeOf(ev.action))
}

// eventTypeOf maps a change action to its event type.
func eventTypeOf(action string) string {
	switch action {
	case actionCreate:
		return "object_created"
	case actionDelete:
		return "object_deleted"
	}
	return "object_updated"
}

// hookTargets are the event rules that deliver webhooks: the built-in one
// of Options.WebhookURL (all changes of Options.WebhookObjectTypes), then
// every enabled rule whose action is an existing webhook, in name order.
// The caller holds the write lock.
func (s *Server) hookTargets() []hookTarget {
	var out []hookTarget
	s.hooks.mu.Lock()
	if s.hooks.url != "" {
		out = append(out, hookTarget{
			objectTypes: slices.Clone(s.hooks.objectTypes), eventTypes: []string{"object_created", "object_updated", "object_deleted"},
			url: s.hooks.url, method: http.MethodPost, contentType: "application/json", secret: s.hooks.secret,
		})
	}
	s.hooks.mu.Unlock()
	rules := s.st.eventRules.all()
	slices.SortFunc(rules, func(a, b *EventRule) int { return strings.Compare(a.Name, b.Name) })
	for _, r := range rules {
		if !r.Enabled || r.ActionType != "webhook" || r.ActionObjectType != "extras.webhook" {
			continue
		}
		w := s.st.webhooks.get(r.ActionObjectID)
		if w == nil {
			continue
		}
		out = append(out, hookTarget{
			rule: r.Name, objectTypes: r.ObjectTypes, eventTypes: r.EventTypes,
			url: w.PayloadURL, method: w.HTTPMethod, contentType: w.HTTPContentType, secret: w.Secret,
		})
	}
	return out
}

// webhookQueue delivers event bodies like NetBox's RQ worker: one POST per
// event, no retries, optionally duplicated or reordered.
type webhookQueue struct {
	mu          sync.Mutex
	url, secret string
	objectTypes []string
	sync        bool
	dupEvery    int
	window      int
	client      *http.Client

	pending []pendingDelivery
	sending bool
	// syncing counts synchronous deliveries in progress (WebhookSync).
	syncing    int
	flushing   int
	seq        int
	deliveries []Delivery
	changed    chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
}

func newWebhookQueue(_ *Server, opts Options) *webhookQueue {
	client := opts.WebhookClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &webhookQueue{
		url: opts.WebhookURL, secret: opts.WebhookSecret,
		objectTypes: slices.Clone(opts.WebhookObjectTypes),
		sync:        opts.WebhookSync, dupEvery: opts.WebhookDuplicateEvery, window: opts.WebhookReorderWindow,
		client: client, changed: make(chan struct{}), ctx: ctx, cancel: cancel,
	}
}

// notify wakes Flush callers; the caller holds q.mu.
func (q *webhookQueue) notify() {
	close(q.changed)
	q.changed = make(chan struct{})
}

func (q *webhookQueue) enqueue(items []pendingDelivery) {
	if len(items) == 0 {
		return
	}
	q.mu.Lock()
	if q.ctx.Err() != nil {
		q.mu.Unlock()
		return
	}
	for _, it := range items {
		q.seq++
		q.pending = append(q.pending, it)
		if q.dupEvery > 0 && q.seq%q.dupEvery == 0 {
			dup := it
			dup.duplicate = true
			q.pending = append(q.pending, dup)
		}
	}
	if q.sync {
		batch := q.pending
		q.pending = nil
		q.syncing++
		q.mu.Unlock()
		for _, it := range batch {
			q.send(it)
		}
		q.mu.Lock()
		q.syncing--
		q.notify()
		q.mu.Unlock()
		return
	}
	q.startLocked()
	q.mu.Unlock()
}

// startLocked starts the sender if there is a batch ready.
func (q *webhookQueue) startLocked() {
	if q.sending || len(q.pending) == 0 {
		return
	}
	if q.window > 1 && len(q.pending) < q.window && q.flushing == 0 {
		return
	}
	q.sending = true
	go q.drain()
}

// drain sends batches until none is ready. With a reorder window a batch is
// window deliveries sent newest first; Flush releases a partial window.
func (q *webhookQueue) drain() {
	for {
		q.mu.Lock()
		var batch []pendingDelivery
		switch {
		case q.ctx.Err() != nil || len(q.pending) == 0:
		case q.window <= 1:
			batch, q.pending = q.pending, nil
		case len(q.pending) >= q.window:
			batch = slices.Clone(q.pending[:q.window])
			q.pending = q.pending[q.window:]
			slices.Reverse(batch)
		case q.flushing > 0:
			batch, q.pending = q.pending, nil
			slices.Reverse(batch)
		}
		if len(batch) == 0 {
			q.sending = false
			q.notify()
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		for _, it := range batch {
			q.send(it)
		}
		q.mu.Lock()
		q.notify()
		q.mu.Unlock()
	}
}

// send delivers one body the way NetBox's send_webhook does: the
// webhook's method and content type, the signature when it has a secret,
// no retry. Jinja2 in the payload URL, headers and body template is not
// rendered: the URL is used as written and the default body is sent.
func (q *webhookQueue) send(it pendingDelivery) {
	tg := it.target
	d := Delivery{
		Event: it.event, ObjectType: it.objectType, ObjectID: it.objectID,
		RequestID: it.requestID, Body: it.body, Duplicate: it.duplicate, URL: tg.url, EventRule: tg.rule,
	}
	secret := tg.secret
	req, err := http.NewRequestWithContext(q.ctx, tg.method, tg.url, bytes.NewReader(it.body))
	if err != nil {
		d.Err = fmt.Sprintf("build request: %v", err)
	} else {
		req.Header.Set("Content-Type", tg.contentType)
		req.Header.Set("User-Agent", "python-requests/2.32.3")
		req.Header.Set("Accept", "*/*")
		if secret != "" {
			d.Signature = sign(secret, it.body)
			req.Header.Set("X-Hook-Signature", d.Signature)
		}
		resp, err := q.client.Do(req)
		if err != nil {
			d.Err = err.Error()
		} else {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			d.StatusCode = resp.StatusCode
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				d.Err = fmt.Sprintf("status code %d", resp.StatusCode)
			}
		}
	}
	q.mu.Lock()
	q.deliveries = append(q.deliveries, d)
	q.mu.Unlock()
}

// sign is NetBox's generate_signature: hex HMAC-SHA512 of the body.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha512.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func (q *webhookQueue) flush(ctx context.Context) error {
	q.mu.Lock()
	q.flushing++
	defer func() {
		q.mu.Lock()
		q.flushing--
		q.mu.Unlock()
	}()
	q.startLocked()
	for {
		if (len(q.pending) == 0 || q.ctx.Err() != nil) && !q.sending && q.syncing == 0 {
			q.mu.Unlock()
			return nil
		}
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("flush webhooks: %w", ctx.Err())
		}
		q.mu.Lock()
	}
}

func (q *webhookQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.cancel()
	q.pending = nil
	q.notify()
}

// FlushWebhooks sends every pending webhook (including a partial reorder
// window) and waits until they have been delivered or have failed. Tests
// call it instead of sleeping.
func (s *Server) FlushWebhooks(ctx context.Context) error { return s.hooks.flush(ctx) }

// Deliveries returns every webhook sent so far, in sending order.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return slices.Clone(s.hooks.deliveries)
}

// SetWebhookTarget changes where (and with which secret) the built-in event
// rule of Options.WebhookURL sends later events; an empty url turns it off.
// Event rules created through the API are not affected.
func (s *Server) SetWebhookTarget(url, secret string) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.url, s.hooks.secret = url, secret
}
