// Command asc-action is a GitHub Action and a CLI for App Store Connect API keys:
// it reads and masks the key, mints the ES256 JWT, verifies secrets, uploads
// builds and audits expiry.
package main

func main() {}
