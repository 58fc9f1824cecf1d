// Package archtest holds the rules of the layout as tests: domain packages
// never import the adapters or the commands, the App Store Connect client and
// the emulator never import each other, no command imports another command
// (see README.md, "Layout"), and no non-test function is longer than 80
// lines.
package archtest
