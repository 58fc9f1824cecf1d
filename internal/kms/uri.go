package kms

import "strings"

// Redact returns uri without user information, query or fragment: the form
// in which a KMS URI is printed. A KMS key URI has none of them, so anything
// there was put there by mistake and may be a credential
// (hashivault://user:password@host/key).
func Redact(uri string) string {
	scheme, _, rest := split(uri)
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	if scheme == "" {
		return rest
	}
	return scheme + "://" + rest
}

// split cuts uri into its scheme, user information and the rest. No KMS
// key URI holds an "@", so everything up to the last one is taken as user
// information, even when it holds "/", "?" or "#" (a password may), so
// that no part of it is printed.
func split(uri string) (scheme, userinfo, rest string) {
	uri = strings.TrimSpace(uri)
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return "", "", uri
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		userinfo, rest = rest[:i], rest[i+1:]
	}
	return scheme, userinfo, rest
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
	_, userinfo, rest := split(uri)
	if userinfo != "" {
		out = append(out, userinfo)
		if _, pass, ok := strings.Cut(userinfo, ":"); ok {
			out = append(out, pass)
		}
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		out = append(out, rest[i+1:])
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		out = append(out, rest[i+1:])
	}
	var kept []string
	for _, s := range out {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return kept
}
