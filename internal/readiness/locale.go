package readiness

import (
	"fmt"
	"slices"
	"strings"
)

// Locales are the locales App Store Connect takes for TestFlight text
// ("What to Test" notes, test information): its App Store localizations.
var Locales = []string{
	"ar-SA", "ca", "cs", "da", "de-DE", "el", "en-AU", "en-CA", "en-GB", "en-US", "es-ES", "es-MX", "fi",
	"fr-CA", "fr-FR", "he", "hi", "hr", "hu", "id", "it", "ja", "ko", "ms", "nl-NL", "no", "pl", "pt-BR",
	"pt-PT", "ro", "ru", "sk", "sv", "th", "tr", "uk", "vi", "zh-Hans", "zh-Hant",
}

// locale checks whats-new-locale. A spelling App Store Connect refuses (en_US,
// en-us, de for de-DE...) of a locale it takes is a blocker; a locale this
// list does not hold is a warning, since Apple adds locales.
func (r *run) locale() {
	l := r.cfg.Locale
	c := Check{Check: "whats-new-locale", Subject: l}
	if slices.Contains(Locales, l) {
		c.Result, c.Message = OK, fmt.Sprintf("%s is a locale App Store Connect takes for \"What to Test\".", l)
		r.add(c)
		return
	}
	norm := strings.ToLower(strings.ReplaceAll(l, "_", "-"))
	var hits []string
	for _, known := range Locales {
		if k := strings.ToLower(known); k == norm || strings.HasPrefix(k, norm+"-") {
			hits = append(hits, known)
		}
	}
	if len(hits) > 0 {
		// "en" is en-AU, en-CA, en-GB and en-US: name them all.
		c.Result = Blocker
		c.Message = fmt.Sprintf("App Store Connect does not take %q as a locale; it spells it %s.", l, strings.Join(hits, " or "))
		c.Fix = fmt.Sprintf("Set whats-new-locale: %s.", strings.Join(hits, " or "))
		r.add(c)
		return
	}
	c.Result = Warning
	c.Message = fmt.Sprintf("%q is not among the locales App Store Connect is known to take for TestFlight text.", l)
	if s := closest(l, Locales); s != "" {
		c.Message += fmt.Sprintf(" Did you mean %q?", s)
	}
	c.Fix = "Set whats-new-locale to one of " + strings.Join(Locales, ", ") + "."
	r.add(c)
}

// closest returns the candidate nearest to s (case ignored) when it is
// near enough to be a typo of it: at most a third of its letters differ.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := distance(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(1, len([]rune(s))/3) {
		return ""
	}
	return best
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
