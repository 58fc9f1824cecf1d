package checkexpiry

import (
	"fmt"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/command/commandtest"
	"github.com/asc-action/asc-action/internal/expiry"
)

func TestAnnotateCapsPerLevel(t *testing.T) {
	tests := []struct {
		errors, warnings         int
		wantErrors, wantWarnings int
		moreErrors               string
	}{
		{3, 2, 3, 2, ""},
		{10, 10, 10, 10, ""},
		{11, 1, 10, 1, "2 more item(s)"},
		{25, 12, 10, 10, "16 more item(s)"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d errors %d warnings", tt.errors, tt.warnings), func(t *testing.T) {
			var anns []expiry.Annotation
			for i := range tt.errors {
				anns = append(anns, expiry.Annotation{Level: expiry.LevelError, Title: fmt.Sprintf("e%d", i), Message: "m"})
			}
			for i := range tt.warnings {
				anns = append(anns, expiry.Annotation{Level: expiry.LevelWarning, Title: fmt.Sprintf("w%d", i), Message: "m"})
			}
			rec := commandtest.NewRecorder()
			annotate(rec, anns)
			errs, warns := annotations(rec, "error"), annotations(rec, "warning")
			if len(errs) != tt.wantErrors || len(warns) != tt.wantWarnings {
				t.Fatalf("%d errors, %d warnings; want %d, %d", len(errs), len(warns), tt.wantErrors, tt.wantWarnings)
			}
			if !strings.HasPrefix(errs[0], "e0:") {
				t.Errorf("first error %q; the soonest must come first", errs[0])
			}
			last := errs[len(errs)-1]
			if tt.moreErrors != "" && !strings.Contains(last, tt.moreErrors) {
				t.Errorf("last error %q, want %q", last, tt.moreErrors)
			}
			if tt.moreErrors == "" && strings.Contains(last, "more item") {
				t.Errorf("a count annotation without need: %q", last)
			}
		})
	}
}
