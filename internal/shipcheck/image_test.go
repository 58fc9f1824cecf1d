package shipcheck

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/emulator/emulatortest"
	"github.com/asc-action/asc-action/internal/testkeys"
)

// requirePodman skips without podman, naming how to install it, except in
// CI (CI=true), where a missing podman fails: .ci/run installs it.
func requirePodman(t *testing.T) {
	t.Helper()
	if err := LookPodman(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("%v; the release image is built and run with podman", err)
	}
}

// epoch is SOURCE_DATE_EPOCH for the image builds: every timestamp in the
// image, so that the same inputs give the same digest.
const epoch = 1764547200 // 2025-12-01T00:00:00Z

type builtImage struct {
	binary string
	id     string
	oci    *OCIImage
	pod    Podman
	tag    string
}

// buildReleaseImage builds image/Dockerfile from the release's linux/amd64
// binary, in a podman storage of its own, and writes it to an OCI layout.
func buildReleaseImage(t *testing.T, ctx context.Context) builtImage {
	t.Helper()
	bin := releaseBinary(t, "linux", "amd64")
	work := t.TempDir()
	cdir := filepath.Join(work, "context")
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := ImageContext(root(t), cdir, map[string]string{"amd64": bin}, epoch); err != nil {
		t.Fatal(err)
	}
	pod := Podman{Root: filepath.Join(work, "podman")}
	t.Cleanup(func() {
		// vfs storage holds read-only directories; podman removes its own.
		_, _ = pod.Run(context.Background(), "system", "reset", "--force")
	})
	const tag = "localhost/asc-action:test"
	id, err := pod.Build(ctx, cdir, "linux/amd64", tag, epoch)
	if err != nil {
		t.Fatal(err)
	}
	oci, err := pod.PushOCI(ctx, tag, filepath.Join(work, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	return builtImage{binary: bin, id: id, oci: oci, pod: pod, tag: tag}
}

// TestReleaseImage builds the release image twice from the same inputs, in
// two separate podman storages, and checks it: the same digest both times,
// only the binary, the CA bundle and an empty /tmp inside, the entrypoint,
// and its size. It then runs `token` and `verify` in it as the runner runs
// a container action.
func TestReleaseImage(t *testing.T) {
	requirePodman(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	a := buildReleaseImage(t, ctx)
	b := buildReleaseImage(t, ctx)
	if a.id != b.id || a.oci.Digest != b.oci.Digest {
		t.Errorf("two builds from the same inputs differ: image IDs %s and %s, manifest digests %s and %s", a.id, b.id, a.oci.Digest, b.oci.Digest)
	}

	t.Run("contents", func(t *testing.T) {
		binary, err := os.ReadFile(a.binary)
		if err != nil {
			t.Fatal(err)
		}
		ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{
			"etc/": 0o755, "etc/ssl/": 0o755, "etc/ssl/certs/": 0o755, "etc/ssl/certs/ca-certificates.crt": 0o644,
			"tmp/": 0o1777, "usr/": 0o755, "usr/local/": 0o755, "usr/local/bin/": 0o755, "usr/local/bin/asc-action": 0o755,
		}
		seen := map[string]bool{}
		for _, l := range a.oci.Layers {
			for _, e := range l.Entries {
				seen[e.Name] = true
				mode, ok := want[e.Name]
				if !ok {
					t.Errorf("the image holds %s, which is neither the binary, the CA bundle nor /tmp", e.Name)
					continue
				}
				if e.Mode != mode || e.UID != 0 || e.GID != 0 {
					t.Errorf("%s: mode %o owner %d:%d, want %o 0:0", e.Name, e.Mode, e.UID, e.GID, mode)
				}
				switch e.Name {
				case "usr/local/bin/asc-action":
					if !bytes.Equal(e.Data, binary) {
						t.Errorf("the image's binary is not the release binary (%d bytes, want %d)", len(e.Data), len(binary))
					}
				case "etc/ssl/certs/ca-certificates.crt":
					if !bytes.Equal(e.Data, ca) {
						t.Errorf("the image's CA bundle is not this machine's /etc/ssl/certs/ca-certificates.crt")
					}
					if n := parseCerts(e.Data); n < 50 {
						t.Errorf("the CA bundle holds %d certificates", n)
					}
				}
			}
		}
		for name := range want {
			if !seen[name] {
				t.Errorf("the image lacks %s", name)
			}
		}
		c := a.oci.Config
		if c.OS != "linux" || c.Architecture != "amd64" {
			t.Errorf("platform %s/%s", c.OS, c.Architecture)
		}
		if !slices.Equal(c.Config.Entrypoint, []string{"/usr/local/bin/asc-action"}) || len(c.Config.Cmd) != 0 {
			t.Errorf("entrypoint %q cmd %q; want the binary and no arguments (arguments switch it to CLI mode)", c.Config.Entrypoint, c.Config.Cmd)
		}
		if c.Config.User != "" && c.Config.User != "root" && c.Config.User != "0" {
			t.Errorf("USER %q: container actions run as root", c.Config.User)
		}
		if !slices.Contains(c.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") {
			t.Errorf("env %q lacks SSL_CERT_FILE", c.Config.Env)
		}
		// 15 MB until the KMS signers (issue #17: sigstore's AWS, Google
		// Cloud, Azure and Vault providers) were linked in; they add about
		// 20 MB, 12.5 MB of it the Google Cloud client's gRPC and protobuf
		// (BENCHMARKS.md, "KMS keys"). Own clients on the clouds' SDKs in
		// place of sigstore's took 0.9 MB off (issue #22); the relay's GitHub
		// calls (go-github's repository_dispatch and App installation tokens,
		// which bring in its Repository and Installation models; issue #24)
		// added 3.7 MB: 33.4 MB of files, 11.7 MB compressed.
		const limit = 36_000_000
		var files int64
		for _, l := range a.oci.Layers {
			for _, e := range l.Entries {
				files += e.Size
			}
		}
		if files > limit || a.oci.CompressedSize() > files {
			t.Errorf("image %d bytes of files, %d bytes compressed; want at most %d and compression to shrink it", files, a.oci.CompressedSize(), limit)
		}
		t.Logf("image %s: %d layers, %d bytes of files, %d bytes compressed (manifest, config and gzip layers)",
			a.oci.Digest, len(a.oci.Layers), files, a.oci.CompressedSize())
	})

	t.Run("token and verify as a container action", func(t *testing.T) {
		runAsContainerAction(t, ctx, a)
	})
}

func parseCerts(b []byte) int {
	n := 0
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return n
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err == nil {
			n++
		}
	}
}

// containerStep runs the image as the runner runs a `uses: docker://...`
// step: INPUT_<NAME> variables with the hyphens kept and only the inputs
// the step gives (no action.yml, so no defaults), the workspace mounted at
// /github/workspace, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files in it.
// Secret values travel in podman's environment (`-e NAME`), never on its
// command line.
func containerStep(t *testing.T, ctx context.Context, im builtImage, network string, inputs, secrets map[string]string) (outputs map[string]string, stdout string, err error) {
	t.Helper()
	ws := t.TempDir()
	for _, f := range []string{"output", "summary"} {
		if err := os.WriteFile(filepath.Join(ws, f), nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"run", "--rm", "--network", network,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		"-v", ws + ":/github/workspace", "--workdir", "/github/workspace",
		"-e", "GITHUB_ACTIONS=true", "-e", "CI=true",
		"-e", "GITHUB_WORKSPACE=/github/workspace",
		"-e", "GITHUB_OUTPUT=/github/workspace/output", "-e", "GITHUB_STEP_SUMMARY=/github/workspace/summary"}
	env := os.Environ()
	for k, v := range inputs {
		args = append(args, "-e", "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	for k, v := range secrets {
		name := "INPUT_" + strings.ToUpper(k)
		args = append(args, "-e", name)
		env = append(env, name+"="+v)
	}
	args = append(args, im.tag)
	var out, errOut bytes.Buffer
	for attempt := 1; ; attempt++ {
		out.Reset()
		errOut.Reset()
		cmd := im.pod.Command(ctx, args...)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		// On a loaded machine podman can lose the exit code of a container
		// that ran (its database races runc); that says nothing of the
		// image, so the step is run once more, in a fresh workspace state.
		if err == nil || attempt == 2 || !strings.Contains(errOut.String(), "no such exit code") {
			break
		}
		for _, f := range []string{"output", "summary"} {
			if werr := os.WriteFile(filepath.Join(ws, f), nil, 0o666); werr != nil {
				t.Fatal(werr)
			}
		}
	}
	if err != nil {
		err = fmt.Errorf("%v\n%s", err, errOut.String())
	}
	b, rerr := os.ReadFile(filepath.Join(ws, "output"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	outputs, perr := actionstest.ParseOutputFile(string(b))
	if perr != nil {
		t.Fatal(perr)
	}
	return outputs, out.String() + errOut.String(), err
}

func runAsContainerAction(t *testing.T, ctx context.Context, im builtImage) {
	key := testkeys.New(t)
	const keyID, issuer = "ABCDE12345", "69a6de70-03db-47e3-e053-5b8c7c11a4d1"

	t.Run("token, no network", func(t *testing.T) {
		out, log, err := containerStep(t, ctx, im, "none",
			map[string]string{"command": "token", "key-id": keyID, "issuer-id": issuer},
			map[string]string{"private-key": key.PEM})
		if err != nil {
			t.Fatalf("token step failed: %s\n%s", actionstest.Masked(log, err.Error()), actionstest.Masked(log, log))
		}
		tok := out["token"]
		if strings.Count(tok, ".") != 2 || out["key-id"] != keyID || out["key-type"] != "team" || out["expires-at"] == "" {
			t.Errorf("outputs %v; want a JWT, key-id %s, key-type team, expires-at", keysOf(out), keyID)
		}
		if !strings.Contains(log, "::add-mask::"+tok) {
			t.Errorf("the token was not masked")
		}
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, tok) && !strings.HasPrefix(l, "::add-mask::") {
				t.Errorf("a log line holds the token")
			}
		}
		for _, kl := range strings.Split(strings.TrimSpace(key.PEM), "\n") {
			if strings.HasPrefix(kl, "-----") {
				continue
			}
			for _, l := range strings.Split(log, "\n") {
				if strings.Contains(l, kl) && !strings.HasPrefix(l, "::add-mask::") {
					t.Errorf("a log line shows part of the key")
				}
			}
		}
	})

	t.Run("verify against asc-action emulator on the host", func(t *testing.T) {
		url := startEmulator(t, im.binary, key, keyID, issuer)
		// --network host: the container reaches the emulator on the host's
		// 127.0.0.1 (with --network none it could not).
		out, log, err := containerStep(t, ctx, im, "host",
			map[string]string{"command": "verify", "key-id": keyID, "issuer-id": issuer, "api-url": url},
			map[string]string{"private-key": key.PEM})
		if err != nil {
			t.Fatalf("verify step failed: %s\n%s", actionstest.Masked(log, err.Error()), actionstest.Masked(log, log))
		}
		if out["key-status"] != "valid" || out["reason"] != "valid" {
			t.Errorf("key-status %q reason %q, want valid / valid\n%s", out["key-status"], out["reason"], actionstest.Masked(log, log))
		}
	})
}

func keysOf(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

// startEmulator runs the release binary's emulator on the host, accepting
// key (team key keyID of issuer) with the APP_MANAGER role, and returns its
// URL.
func startEmulator(t *testing.T, bin string, key testkeys.Key, keyID, issuer string) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&key.Private.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "public.pem")
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return emulatortest.Start(t, bin, "--key-id", keyID, "--issuer-id", issuer, "--public-key", pub, "--role", "APP_MANAGER").URL
}
