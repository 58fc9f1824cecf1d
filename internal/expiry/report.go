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

	"github.com/asc-action/asc-action/internal/untrusted"
)

// Report is the classified, sorted result of one audit.
type Report struct {
	GeneratedAt time.Time
	Thresholds  Thresholds
	// Items are sorted by days left, soonest first; undated items that could
	// not be checked or failed come first, undated healthy items last.
	Items []Item
	// AllowIncomplete turns items that could not be checked from a reason
	// to fail into a warning (the allow-incomplete input), for a key whose
	// limits are deliberate.
	AllowIncomplete bool
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

// Unchecked returns the items that could not be checked (StatusError): a
// list App Store Connect did not give, a file that could not be read.
func (r *Report) Unchecked() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Status == StatusError {
			out = append(out, it)
		}
	}
	return out
}

// Incomplete reports whether anything could not be checked.
func (r *Report) Incomplete() bool { return len(r.Unchecked()) > 0 }

// ShouldFail is the exit decision by policy: the audit fails when anything
// is under fail-days or expired, and when anything could not be checked
// unless AllowIncomplete is set. An audit that could not look never passes.
func (r *Report) ShouldFail() bool {
	return len(r.Failing()) > 0 || (r.Incomplete() && !r.AllowIncomplete)
}

// Headline says in one sentence how the audit ended: "Expiry audit
// passed: …", "Expiry audit failed: …" or "Expiry audit incomplete:
// certificates could not be listed: …".
func (r *Report) Headline() string {
	var why []string
	for _, it := range r.Unchecked() {
		why = append(why, uncheckedText(it))
	}
	incomplete := strings.Join(why, "; ")
	switch {
	case len(r.Failing()) > 0 && incomplete != "":
		return "Expiry audit failed: " + r.Decision() + "; and it is incomplete: " + incomplete
	case len(r.Failing()) > 0:
		return "Expiry audit failed: " + r.Decision()
	case incomplete != "":
		return "Expiry audit incomplete: " + incomplete
	}
	return "Expiry audit passed: " + r.Decision()
}

// uncheckedText says what could not be checked and why: the detail alone
// when it already names the item ("certificates could not be listed: …").
func uncheckedText(it Item) string {
	if strings.HasPrefix(it.Detail, it.Name+" ") {
		return it.Detail
	}
	return fmt.Sprintf("%s %s: %s", it.Kind, it.Name, it.Detail)
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
	Incomplete    bool      `json:"incomplete"`
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
		Incomplete:    r.Incomplete(),
		Items:         items,
	})
	if err != nil {
		return "", fmt.Errorf("report: encode JSON: %w", err)
	}
	return string(b), nil
}

// Annotation is one workflow annotation the adapter should emit.
type Annotation struct {
	// Level is "error" (expired, under fail-days, or could not be checked)
	// or "warning" (under warn-days, or could not be checked when
	// AllowIncomplete is set).
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
			a = Annotation{Level: LevelError, Title: fmt.Sprintf("%s could not be checked: %s", it.Kind, it.Name)}
			if r.AllowIncomplete {
				a.Level = LevelWarning
			}
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

// Markdown renders the job summary: a heading, the headline, the
// thresholds and counts, and a table sorted by days left. Every text from
// outside (names, types, details) is escaped by package untrusted.
func (r *Report) Markdown() untrusted.Markdown {
	var b untrusted.MarkdownBuilder
	b.Printf("## App Store Connect expiry audit\n\n**%s**\n\n", r.Headline())
	b.Printf("Checked %s UTC · warn under %d days · fail under %d days · %d item(s), %d expiring",
		r.GeneratedAt.UTC().Format("2006-01-02 15:04"), r.Thresholds.WarnDays, r.Thresholds.FailDays, len(r.Items), r.ExpiringCount())
	if n := len(r.Failing()); n > 0 {
		b.Printf(", %d failing", n)
	}
	if n := len(r.Unchecked()); n > 0 {
		b.Printf(", %d not checked", n)
	}
	b.Printf("\n\n")
	if len(r.Items) == 0 {
		b.Printf("Nothing to check: no items matched.\n")
		return b.Markdown()
	}
	b.Printf("| Status | Days left | Expires | Kind | Name | Type | Detail |\n")
	b.Printf("| --- | ---: | --- | --- | --- | --- | --- |\n")
	for _, it := range r.Items {
		days := "–"
		if it.DaysLeft != nil {
			days = strconv.Itoa(*it.DaysLeft)
		}
		b.Printf("| %s | %s | %s | %s | %s | %s | %s |\n",
			statusIcon[it.Status], days, dateCell(it), it.Kind, nameCell(it), it.Type, it.Detail)
	}
	return b.Markdown()
}

// IssueMarker is the hidden marker by which the tracking issue is found again.
const IssueMarker = "<!-- asc-action:expiry-audit -->"

// IssueTitle is the title of the tracking issue.
const IssueTitle = "App Store Connect: signing items expiring soon"

// IssueBody renders the body of the tracking issue: the marker and the items
// under warn-days. It holds dates and statuses but no day counts and no run
// time, so it changes only when what needs doing changes, and an unchanged
// state leaves the issue untouched.
func (r *Report) IssueBody() untrusted.Markdown {
	var b untrusted.MarkdownBuilder
	b.Printf(IssueMarker + "\n")
	b.Printf("The scheduled expiry audit found items that expire within ")
	b.Printf("%d days (failing under %d days). Renew them, then the next run updates or closes this issue.\n\n", r.Thresholds.WarnDays, r.Thresholds.FailDays)
	b.Printf("| Status | Expires | Kind | Name | Type | Detail |\n")
	b.Printf("| --- | --- | --- | --- | --- | --- |\n")
	for _, it := range r.Items {
		if !it.UnderWarn() {
			continue
		}
		b.Printf("| %s | %s | %s | %s | %s | %s |\n",
			statusIcon[it.Status], dateCell(it), it.Kind, nameCell(it), it.Type, it.Detail)
	}
	return b.Markdown()
}

// nameCell is the item's name, then its ID in parentheses.
func nameCell(it Item) untrusted.Markdown {
	if it.ID == "" {
		return untrusted.Markdownf("%s", it.Name)
	}
	return untrusted.Markdownf("%s (%s)", it.Name, it.ID)
}

func dateCell(it Item) string {
	if it.ExpiresAt.IsZero() {
		return "–"
	}
	return it.ExpiresAt.UTC().Format(time.DateOnly)
}
