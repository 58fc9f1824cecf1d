package emulator

import "strings"

// generate makes a plausible value that satisfies schema s, for attributes
// of resources no data file seeds and for answers (metrics) that are not
// resources. name is the property's name, which picks a plausible string;
// depth bounds recursive schemas.
func generate(s *schema, name string, depth int) any {
	if s == nil || depth > 8 {
		return nil
	}
	switch {
	case len(s.Enum) > 0:
		return s.Enum[0]
	case len(s.OneOf) > 0:
		return generate(s.OneOf[0], name, depth+1)
	case len(s.AnyOf) > 0:
		return generate(s.AnyOf[0], name, depth+1)
	case len(s.AllOf) > 0:
		out := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := generate(part, name, depth+1).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out
	}
	switch t := s.Type; {
	case t == "string":
		return plausibleString(s.Format, name)
	case t == "integer":
		if s.Minimum != nil && *s.Minimum > 1 {
			return int64(*s.Minimum)
		}
		return 1
	case t == "number":
		return 1.5
	case t == "boolean":
		return false
	case t == "array":
		if s.Items == nil {
			return []any{}
		}
		v := generate(s.Items, name, depth+1)
		if v == nil {
			return []any{}
		}
		return []any{v}
	case t == "object", len(s.Properties) > 0:
		out := map[string]any{}
		for k, p := range s.Properties {
			if v := generate(p, k, depth+1); v != nil {
				out[k] = v
			}
		}
		return out
	}
	return nil
}

// generatedDate is the date generated resources carry.
const generatedDate = "2026-01-15T09:30:00.000Z"

func plausibleString(format, name string) string {
	lower := strings.ToLower(name)
	switch format {
	case "date-time":
		return generatedDate
	case "date":
		return generatedDate[:10]
	case "uri", "uri-reference":
		return "https://example.com/" + name
	case "email":
		return "tester@example.com"
	case "duration":
		return "P1D"
	case "number":
		return "0.99"
	}
	switch {
	case strings.Contains(lower, "email"):
		return "tester@example.com"
	case strings.Contains(lower, "locale"):
		return "en-US"
	case strings.Contains(lower, "url"):
		return "https://example.com/" + name
	case strings.Contains(lower, "version"):
		return "1.0"
	case strings.Contains(lower, "bundleid"), lower == "identifier":
		return "com.example.demo"
	case strings.Contains(lower, "date"):
		return generatedDate
	case strings.Contains(lower, "name"), lower == "title":
		return "Example " + name
	}
	return "example " + name
}
