// Package eventtest is test support: a Recorder keeps the events a component
// reports through its callback (the client's Event, the upload's Event),
// safe for the concurrent callers those components have.
package eventtest

import (
	"slices"
	"sync"
)

// Recorder keeps events in the order they were reported. Its zero value is
// ready to use; pass its Add method as the callback.
type Recorder[E any] struct {
	mu     sync.Mutex
	events []E
}

// Add records e.
func (r *Recorder[E]) Add(e E) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// All returns a copy of the events recorded so far.
func (r *Recorder[E]) All() []E {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Where returns the events keep accepts, in order.
func (r *Recorder[E]) Where(keep func(E) bool) []E {
	var out []E
	for _, e := range r.All() {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}
