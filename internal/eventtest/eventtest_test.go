package eventtest

import (
	"slices"
	"sync"
	"testing"
)

func TestRecorderKeepsEveryConcurrentEvent(t *testing.T) {
	var r Recorder[int]
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); r.Add(i) }()
	}
	wg.Wait()
	all := r.All()
	slices.Sort(all)
	if len(all) != 100 || all[0] != 0 || all[99] != 99 {
		t.Fatalf("recorded %d events (%v...); want 0..99", len(all), all[:min(3, len(all))])
	}
	even := r.Where(func(i int) bool { return i%2 == 0 })
	if len(even) != 50 {
		t.Errorf("Where(even) gave %d events; want 50", len(even))
	}
	all[0] = -1
	if slices.Contains(r.All(), -1) {
		t.Error("All returned the recorder's own slice; a caller's change reached it")
	}
}
