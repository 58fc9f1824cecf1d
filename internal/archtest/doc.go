// Package archtest holds the rules of the layout and of the source as tests:
// domain packages never import the adapters or the commands, the App Store
// Connect client and the emulator never import each other, no command
// imports another command (see README.md, "Layout"), no non-test function
// is longer than 80 lines, and no code converts a variable to
// untrusted.Format (the output boundary, docs/security.md).
package archtest
