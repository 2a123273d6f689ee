package wug

import (
	"context"
	"strings"
	"sync"
)

// templateRides are this client's template requests that are waiting for
// the rate limiter, open to templates that would otherwise need a request
// of their own (JoinTemplates).
//
// A request's limiter wait is where joining costs nothing: on a busy
// connection it lasts up to seconds, and a resend after a failed call
// (what JoinTemplates is for) is a few dozen templates that would pay a
// whole request of a rate-limited budget. A request takes its joiners when
// the limiter lets it go (request.atSend), and shares its answer with them:
// each joiner gets its own templates' results, or the request's error.
type templateRides struct {
	mu   sync.Mutex
	open []*templateRide
	// joined, for tests, is called once a joiner is on a ride.
	joined func()
}

// templateRide is one template request open to joiners.
type templateRide struct {
	options string // joiners need the same WUG options
	room    int    // templates it may still take (MaxBatchSize in all)
	riders  []*templateRider
	sealed  bool // the limiter let the request go: no more joiners
	done    chan struct{}
	err     error // the request's error, once done
}

// templateRider is one JoinTemplates call on a ride.
type templateRider struct {
	templates []DeviceTemplate
	results   map[string]TemplateResult // its templates' results, once done
}

// offer opens a ride for a request of n templates sent with options, or
// returns nil when the request is full.
func (r *templateRides) offer(options []string, n int) *templateRide {
	if n >= MaxBatchSize {
		return nil
	}
	ride := &templateRide{options: strings.Join(options, ","), room: MaxBatchSize - n, done: make(chan struct{})}
	r.mu.Lock()
	r.open = append(r.open, ride)
	r.mu.Unlock()
	return ride
}

// seal closes the ride to joiners and returns the templates they brought;
// a second call (the request sent again after a 401) returns the same.
func (r *templateRides) seal(ride *templateRide) []DeviceTemplate {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ride.sealed {
		ride.sealed = true
		r.remove(ride)
	}
	var extra []DeviceTemplate
	for _, rider := range ride.riders {
		extra = append(extra, rider.templates...)
	}
	return extra
}

// finish hands the request's outcome to its riders. A ride that was never
// sealed went nowhere (its limiter wait failed): its riders send their
// templates themselves.
func (r *templateRides) finish(ride *templateRide, results map[string]TemplateResult, err error) {
	r.mu.Lock()
	if !ride.sealed {
		ride.sealed = true // too late to join
		r.remove(ride)
		ride.riders = nil // sent nothing for them
	}
	r.mu.Unlock()
	ride.err = err
	for _, rider := range ride.riders {
		rider.results = make(map[string]TemplateResult, len(rider.templates))
		for _, t := range rider.templates {
			if res, ok := results[t.TemplateID]; ok {
				rider.results[t.TemplateID] = res
			}
		}
	}
	close(ride.done)
}

// join puts templates on the oldest open ride with the same options and
// room for all of them, and waits for its answer. sent reports that the
// templates went out in that request (results and err are then theirs);
// false means no ride took them, and they are the caller's to send. A
// caller whose ctx ends before its ride leaves gets off it, unsent.
func (r *templateRides) join(ctx context.Context, options []string, templates []DeviceTemplate) (results map[string]TemplateResult, sent bool, err error) {
	key := strings.Join(options, ",")
	rider := &templateRider{templates: templates}
	r.mu.Lock()
	var ride *templateRide
	for _, open := range r.open {
		if open.options == key && open.room >= len(templates) {
			ride = open
			break
		}
	}
	if ride == nil {
		r.mu.Unlock()
		return nil, false, nil
	}
	ride.riders = append(ride.riders, rider)
	ride.room -= len(templates)
	joined := r.joined
	r.mu.Unlock()
	if joined != nil {
		joined()
	}

	select {
	case <-ride.done:
	case <-ctx.Done():
		r.mu.Lock()
		if !ride.sealed {
			for i, other := range ride.riders {
				if other == rider {
					ride.riders = append(ride.riders[:i], ride.riders[i+1:]...)
					break
				}
			}
			ride.room += len(templates)
			r.mu.Unlock()
			return nil, false, ctx.Err()
		}
		r.mu.Unlock()
		// Sent: the devices may exist, and the caller must treat the
		// request as unanswered.
		return nil, true, ctx.Err()
	}
	if rider.results == nil {
		return nil, false, nil // the request never went out
	}
	return rider.results, true, ride.err
}

// remove drops ride from the open list; r.mu is held.
func (r *templateRides) remove(ride *templateRide) {
	for i, open := range r.open {
		if open == ride {
			r.open = append(r.open[:i], r.open[i+1:]...)
			return
		}
	}
}
