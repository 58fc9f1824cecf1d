// Package archtest holds the import rules of the layout as a test: domain
// packages never import the adapters or the commands, the App Store Connect
// client and the emulator never import each other, and no command imports
// another command. See README.md, "Layout".
package archtest
