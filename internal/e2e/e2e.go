// Package e2e holds tests that run the built asc-action binary the way a
// GitHub runner and a person at a terminal run it. It has no non-test code
// but this file.
package e2e
