package expiry

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is the classified, sorted result of one audit.
type Report struct {
	GeneratedAt time.Time
	Thresholds  Thresholds
	// Items are sorted by days left, soonest first; undated items that could
	// not be checked or failed come first, undated healthy items last.
	Items []Item
}

// NewReport classifies every item against th at now and sorts them.
func NewReport(items []Item, th Thresholds, now time.Time) *Report {
	out := make([]Item, 0, len(items))
	for _, it := range items {
		out = append(out, th.Classify(it, now))
	}
	slices.SortStableFunc(out, compareItems)
	return &Report{GeneratedAt: now, Thresholds: th, Items: out}
}

func sortKey(it Item) int {
	if it.DaysLeft != nil {
		return *it.DaysLeft
	}
	if it.Status == StatusOK {
		return math.MaxInt
	}
	return math.MinInt
}

func compareItems(a, b Item) int {
	return cmp.Or(
		cmp.Compare(sortKey(a), sortKey(b)),
		a.ExpiresAt.Compare(b.ExpiresAt),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.ID, b.ID),
	)
}

// ExpiringCount is the number of items under warn-days or expired: the
// `expiring-count` output.
func (r *Report) ExpiringCount() int {
	n := 0
	for _, it := range r.Items {
		if it.UnderWarn() {
			n++
		}
	}
	return n
}

// Failing returns the items that fail the audit (under fail-days or expired).
func (r *Report) Failing() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Failing() {
			out = append(out, it)
		}
	}
	return out
}

// ShouldFail is the exit decision by policy: the audit fails when anything
// is under fail-days or expired. Items that could not be checked
// (StatusError) do not fail it; they are reported and annotated.
func (r *Report) ShouldFail() bool {
	return len(r.Failing()) > 0
}

// Decision explains the exit decision in one sentence for the log.
func (r *Report) Decision() string {
	f := r.Failing()
	if len(f) == 0 {
		return fmt.Sprintf("nothing is expired or under fail-days (%d)", r.Thresholds.FailDays)
	}
	return fmt.Sprintf("%d item(s) expired or under fail-days (%d), soonest: %s", len(f), r.Thresholds.FailDays, describe(f[0]))
}

// jsonReport is the shape of the `report` output.
type jsonReport struct {
	GeneratedAt   time.Time `json:"generatedAt"`
	WarnDays      int       `json:"warnDays"`
	FailDays      int       `json:"failDays"`
	ExpiringCount int       `json:"expiringCount"`
	Failed        bool      `json:"failed"`
	Items         []Item    `json:"items"`
}

// JSON renders the report as single-line JSON: the `report` output.
func (r *Report) JSON() (string, error) {
	items := r.Items
	if items == nil {
		items = []Item{}
	}
	b, err := json.Marshal(jsonReport{
		GeneratedAt:   r.GeneratedAt.UTC(),
		WarnDays:      r.Thresholds.WarnDays,
		FailDays:      r.Thresholds.FailDays,
		ExpiringCount: r.ExpiringCount(),
		Failed:        r.ShouldFail(),
		Items:         items,
	})
	if err != nil {
		return "", fmt.Errorf("report: encode JSON: %w", err)
	}
	return string(b), nil
}

// Annotation is one workflow annotation the adapter should emit.
type Annotation struct {
	// Level is "error" (expired or under fail-days) or "warning" (under
	// warn-days, or could not be checked).
	Level   string
	Title   string
	Message string
}

// Annotation levels.
const (
	LevelError   = "error"
	LevelWarning = "warning"
)

// Annotations returns one record for each item under a threshold, expired,
// or that could not be checked, in report order.
func (r *Report) Annotations() []Annotation {
	var out []Annotation
	for _, it := range r.Items {
		var a Annotation
		switch it.Status {
		case StatusExpired:
			a = Annotation{Level: LevelError, Title: fmt.Sprintf("%s expired: %s", it.Kind, it.Name)}
		case StatusFail:
			a = Annotation{Level: LevelError, Title: fmt.Sprintf("%s expires in %s: %s", it.Kind, daysText(it), it.Name)}
		case StatusWarn:
			a = Annotation{Level: LevelWarning, Title: fmt.Sprintf("%s expires in %s: %s", it.Kind, daysText(it), it.Name)}
		case StatusError:
			a = Annotation{Level: LevelWarning, Title: fmt.Sprintf("%s could not be checked: %s", it.Kind, it.Name)}
		default:
			continue
		}
		a.Message = describe(it)
		out = append(out, a)
	}
	return out
}

func daysText(it Item) string {
	if it.DaysLeft == nil {
		return "unknown days"
	}
	if *it.DaysLeft == 1 {
		return "1 day"
	}
	return strconv.Itoa(*it.DaysLeft) + " days"
}

// describe is a one-line account of an item for messages.
func describe(it Item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q", it.Kind, it.Name)
	if it.Type != "" {
		fmt.Fprintf(&b, " (%s)", it.Type)
	}
	if it.ID != "" {
		fmt.Fprintf(&b, " id %s", it.ID)
	}
	switch {
	case it.ExpiresAt.IsZero():
	case it.Status == StatusExpired:
		fmt.Fprintf(&b, " expired %s", it.ExpiresAt.UTC().Format(time.DateOnly))
	default:
		fmt.Fprintf(&b, " expires %s (%s left)", it.ExpiresAt.UTC().Format(time.DateOnly), daysText(it))
	}
	if it.Detail != "" {
		b.WriteString(": " + it.Detail)
	}
	return b.String()
}

var statusIcon = map[Status]string{
	StatusOK:      "✅ ok",
	StatusWarn:    "⚠️ warn",
	StatusFail:    "❌ fail",
	StatusExpired: "⛔ expired",
	StatusError:   "❓ error",
}

// Markdown renders the job summary: a heading, the thresholds and counts,
// and a table sorted by days left.
func (r *Report) Markdown() string {
	var b strings.Builder
	b.WriteString("## App Store Connect expiry audit\n\n")
	fmt.Fprintf(&b, "Checked %s UTC · warn under %d days · fail under %d days · %d item(s), %d expiring",
		r.GeneratedAt.UTC().Format("2006-01-02 15:04"), r.Thresholds.WarnDays, r.Thresholds.FailDays, len(r.Items), r.ExpiringCount())
	if r.ShouldFail() {
		fmt.Fprintf(&b, ", %d failing", len(r.Failing()))
	}
	b.WriteString("\n\n")
	if len(r.Items) == 0 {
		b.WriteString("Nothing to check: no items matched.\n")
		return b.String()
	}
	b.WriteString("| Status | Days left | Expires | Kind | Name | Type | Detail |\n")
	b.WriteString("| --- | ---: | --- | --- | --- | --- | --- |\n")
	for _, it := range r.Items {
		days := "–"
		if it.DaysLeft != nil {
			days = strconv.Itoa(*it.DaysLeft)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n",
			statusIcon[it.Status], days, dateCell(it), it.Kind, cell(nameWithID(it)), cell(it.Type), cell(it.Detail))
	}
	return b.String()
}

// IssueMarker is the hidden marker by which the tracking issue is found again.
const IssueMarker = "<!-- asc-action:expiry-audit -->"

// IssueTitle is the title of the tracking issue.
const IssueTitle = "App Store Connect: signing items expiring soon"

// IssueBody renders the body of the tracking issue: the marker and the items
// under warn-days. It holds dates and statuses but no day counts and no run
// time, so it changes only when what needs doing changes, and an unchanged
// state leaves the issue untouched.
func (r *Report) IssueBody() string {
	var b strings.Builder
	b.WriteString(IssueMarker + "\n")
	b.WriteString("The scheduled expiry audit found items that expire within ")
	fmt.Fprintf(&b, "%d days (failing under %d days). Renew them, then the next run updates or closes this issue.\n\n", r.Thresholds.WarnDays, r.Thresholds.FailDays)
	b.WriteString("| Status | Expires | Kind | Name | Type | Detail |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, it := range r.Items {
		if !it.UnderWarn() {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
			statusIcon[it.Status], dateCell(it), it.Kind, cell(nameWithID(it)), cell(it.Type), cell(it.Detail))
	}
	return b.String()
}

func nameWithID(it Item) string {
	if it.ID == "" {
		return it.Name
	}
	return it.Name + " (" + it.ID + ")"
}

func dateCell(it Item) string {
	if it.ExpiresAt.IsZero() {
		return "–"
	}
	return it.ExpiresAt.UTC().Format(time.DateOnly)
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "<", "&lt;")
	return s
}
