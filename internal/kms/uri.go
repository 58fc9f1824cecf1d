package kms

import "strings"

// Redact returns uri without user information, query or fragment: the form
// in which a KMS URI is printed. A KMS key URI has none of them, so anything
// there was put there by mistake and may be a credential
// (hashivault://user:password@host/key).
func Redact(uri string) string {
	uri = strings.TrimSpace(uri)
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return uri
	}
	authority, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	return scheme + "://" + rest
}

// HoldsCredentials reports whether uri has user information, a query or a
// fragment: the whole value and those parts must be masked before anything
// prints (SecretParts), and it is printed as Redact gives it.
func HoldsCredentials(uri string) bool {
	return Redact(uri) != strings.TrimSpace(uri)
}

// SecretParts returns what to mask of a URI that holds credentials: the
// whole value, its user information, password, query and fragment. It is
// empty for a URI without them.
func SecretParts(uri string) []string {
	uri = strings.TrimSpace(uri)
	if !HoldsCredentials(uri) {
		return nil
	}
	out := []string{uri}
	rest := uri
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		out = append(out, rest[i+1:])
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		out = append(out, rest[i+1:])
		rest = rest[:i]
	}
	if _, after, ok := strings.Cut(rest, "://"); ok {
		authority, _, _ := strings.Cut(after, "/")
		if i := strings.LastIndex(authority, "@"); i >= 0 {
			userinfo := authority[:i]
			out = append(out, userinfo)
			if _, pass, ok := strings.Cut(userinfo, ":"); ok {
				out = append(out, pass)
			}
		}
	}
	var kept []string
	for _, s := range out {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return kept
}
