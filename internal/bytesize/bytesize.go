// Package bytesize formats byte counts for people: the one formatter of the
// project (upload log lines, progress bars and job summaries).
package bytesize

import "fmt"

// Format writes n in binary units with one decimal: "512 B", "1.5 KiB",
// "4.0 GiB".
func Format(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
