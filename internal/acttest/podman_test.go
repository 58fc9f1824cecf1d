package acttest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// engine is a podman of the test's own: its service answers the Docker API
// on sock, and its storage, run state, locks and temporary files are under
// dir, shared with no other podman user of the machine. The storage driver
// is overlay (vfs copies every image layer whole: a Dockerfile build took
// minutes more and gigabytes); ASC_ACT_STORAGE_DRIVER=vfs where overlay
// cannot mount.
type engine struct {
	dir, sock string
	env       []string // CONTAINERS_CONF, CONTAINERS_STORAGE_CONF
}

// run runs podman with the engine's configuration and returns its output.
func (e *engine) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "podman", args...)
	cmd.Env = append(os.Environ(), e.env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("podman %s: %v\n%s", args[0], err, errOut.String())
	}
	return out.String(), nil
}

// startEngine writes the private containers.conf and storage.conf, points
// this process's podman commands at them, and starts `podman system
// service`. Cleanup stops the service, removes every container left and
// deletes dir (vfs storage grows to gigabytes).
func startEngine(t *testing.T) *engine {
	t.Helper()
	base := os.Getenv("ASC_ACT_WORKDIR") // a disk with room; default the system's temp dir
	dir, err := os.MkdirTemp(base, "asc-act-podman-")
	if err != nil {
		t.Fatal(err)
	}
	e := &engine{dir: dir, sock: filepath.Join(dir, "podman.sock")}
	driver := os.Getenv("ASC_ACT_STORAGE_DRIVER")
	if driver == "" {
		driver = "overlay"
	}
	for _, d := range []string{"tmp", "storage", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	containers := fmt.Sprintf(`[engine]
tmp_dir = %[1]q
lock_type = "file"
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = %[2]q
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
`, filepath.Join(dir, "tmp"), filepath.Join(dir, "tmp", "events.log"))
	storage := fmt.Sprintf("[storage]\ndriver = %q\ngraphroot = %q\nrunroot = %q\n", driver, filepath.Join(dir, "storage"), filepath.Join(dir, "run"))
	write(t, filepath.Join(dir, "containers.conf"), containers, 0o644)
	write(t, filepath.Join(dir, "storage.conf"), storage, 0o644)
	e.env = []string{"CONTAINERS_CONF=" + filepath.Join(dir, "containers.conf"), "CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf")}
	svc := exec.Command("podman", "system", "service", "--time=0", "unix://"+e.sock)
	svc.Env = append(os.Environ(), e.env...)
	logf, err := os.Create(filepath.Join(dir, "service.log"))
	if err != nil {
		t.Fatal(err)
	}
	svc.Stdout, svc.Stderr = logf, logf
	if err := svc.Start(); err != nil {
		t.Fatalf("podman system service: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, _ = e.run(ctx, "rm", "--all", "--force", "--time", "0")
		_ = svc.Process.Kill()
		_ = svc.Wait()
		_ = logf.Close()
		// Overlay layers are mounted while images are in use; unmount
		// them before the storage is deleted.
		_, _ = e.run(ctx, "system", "reset", "--force")
		// The service's last writes may race the first removal.
		err := os.RemoveAll(dir)
		for i := 0; err != nil && i < 5; i++ {
			time.Sleep(time.Second)
			err = os.RemoveAll(dir)
		}
		if err != nil {
			t.Errorf("removing podman's storage %s: %v", dir, err)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.Dial("unix", e.sock)
		if err == nil {
			c.Close()
			return e
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "service.log"))
			t.Fatalf("podman's Docker API did not come up on %s: %v\n%s", e.sock, err, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// importRootfs makes image tag from a root file system tarball, with the
// given Dockerfile instructions (ENV ...).
func (e *engine) importRootfs(t *testing.T, ctx context.Context, tarball, tag string, changes ...string) {
	t.Helper()
	args := []string{"import", "--quiet"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	if _, err := e.run(ctx, append(args, tarball, tag)...); err != nil {
		t.Fatal(err)
	}
}

// goImage makes the image the source Dockerfile starts FROM (golang:...),
// which no registry can give here: the runner's Debian with the host's Go
// at /usr/local/go and, as a GOPROXY of files, the modules go.sum names
// (copied from the host's module cache, so the build inside fetches
// nothing).
func (e *engine) goImage(t *testing.T, ctx context.Context, root, runnerTar, tag string) {
	t.Helper()
	work := filepath.Join(e.dir, "goimage")
	proxy := filepath.Join(work, "gomod")
	dl := exec.CommandContext(ctx, "go", "mod", "download")
	dl.Dir = root
	hostCache := strings.TrimSpace(goEnv(t, "GOMODCACHE"))
	dl.Env = append(os.Environ(), "GOMODCACHE="+proxy, "GOPROXY=file://"+filepath.Join(hostCache, "cache", "download")+",off", "GOSUMDB=off", "GOFLAGS=-mod=mod")
	if out, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("go mod download into the image's proxy: %v\n%s", err, out)
	}
	rootfs := filepath.Join(work, "root")
	goroot := strings.TrimSpace(goEnv(t, "GOROOT"))
	script := `set -e
# What a Go build needs of the runner's Debian: a shell, coreutils, the CA
# bundle; not node, perl, git or /usr/share (vfs copies the image at every
# step of the Dockerfile).
mkdir -p "$R" && tar -xf "$TAR" -C "$R" --exclude=./usr/share --exclude='./usr/lib/x86_64-linux-gnu/libnode*' \
  --exclude='./usr/lib/x86_64-linux-gnu/libicu*' --exclude=./usr/lib/x86_64-linux-gnu/perl --exclude=./usr/lib/git-core \
  --exclude=./usr/bin/git --exclude='./usr/bin/node*' --exclude=./usr/include --exclude=./var/lib/dpkg
mkdir -p "$R/usr/local"
cp -a "$GOROOT_HOST" "$R/usr/local/go" && rm -rf "$R/usr/local/go/test" "$R/usr/local/go/doc" "$R/usr/local/go/api"
cp -a "$PROXY/cache/download" "$R/goproxy"
tar -C "$R" -cf "$OUT" .
rm -rf "$R" "$PROXY"`
	sh := exec.CommandContext(ctx, "bash", "-c", script)
	sh.Env = append(os.Environ(), "R="+rootfs, "TAR="+runnerTar, "GOROOT_HOST="+goroot, "PROXY="+proxy, "OUT="+filepath.Join(work, "go.tar"))
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("laying out the Go image: %v\n%s", err, out)
	}
	e.importRootfs(t, ctx, filepath.Join(work, "go.tar"), tag,
		"ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"ENV GOPROXY=file:///goproxy", "ENV GOSUMDB=off", "ENV GOTOOLCHAIN=local")
	_ = os.RemoveAll(work)
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return string(out)
}
