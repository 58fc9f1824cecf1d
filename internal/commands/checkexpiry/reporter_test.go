package checkexpiry

import (
	"strings"

	"github.com/asc-action/asc-action/internal/command/commandtest"
)

// annotations returns rec's annotations of level ("error", "warning",
// "notice") as "title: message", in the order they were made.
func annotations(rec *commandtest.Recorder, level string) []string {
	var out []string
	for _, a := range rec.Annotations {
		if a.Level == level {
			out = append(out, a.Title+": "+a.Msg)
		}
	}
	return out
}

// transcript is everything the command said, outputs included. The
// Recorder does not redact: anything masked that reaches it is a leak the
// real adapters would have had to catch.
func transcript(rec *commandtest.Recorder) string {
	var b strings.Builder
	for k, v := range rec.Outputs {
		b.WriteString(k + "=" + v + "\n")
	}
	b.WriteString(rec.Text())
	return b.String()
}
