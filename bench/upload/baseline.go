package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/upload/transfer"
	"github.com/asc-action/asc-action/internal/upload/uploadtest"
)

// The baseline's PUTs run in a child process (this program, re-executed with
// putChildEnv=1) so that it is placed as asc-action is: a client process
// apart from the process serving the emulator. In one process, client and
// server would share one Go runtime's GOMAXPROCS, which on a loaded 2-core
// machine gives them less CPU than two processes get.
const putChildEnv = "ASC_BENCH_PUT_CHILD"

// putJob is what the parent sends the child on stdin.
type putJob struct {
	Path        string
	Parallelism int
	WriteBuffer int // connection write buffer; 0 keeps net/http's default
	Ops         []transfer.Operation
}

// putResult is what the child prints on stdout.
type putResult struct {
	Seconds float64
}

// putChild runs the job in a child process and returns the PUT phase's
// seconds (timed by the child) and the child's peak RSS in MiB (VmHWM).
func (b *bench) putChild(ctx context.Context, job putJob) (float64, float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, 0, fmt.Errorf("locating this program to run the baseline: %w", err)
	}
	in, err := json.Marshal(job)
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(cleanEnv(), putChildEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, &stderr
	m, err := runMeasured(cmd)
	if err != nil {
		return 0, 0, fmt.Errorf("baseline PUTs: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var res putResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return 0, 0, fmt.Errorf("baseline PUTs: unreadable result %q: %w", stdout.String(), err)
	}
	return res.Seconds, m.HWMMiB, nil
}

// putMain is the child: it reads a putJob, PUTs every part with a plain
// parallel loop (uploadtest.BarePUT: a section reader per part, no retries, no
// progress) and prints the seconds the PUT phase took.
func putMain(stdin io.Reader, stdout io.Writer) error {
	var job putJob
	if err := json.NewDecoder(stdin).Decode(&job); err != nil {
		return fmt.Errorf("reading the job: %w", err)
	}
	if job.Parallelism < 1 {
		return fmt.Errorf("parallelism %d: want 1 or more", job.Parallelism)
	}
	f, err := os.Open(job.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	client := uploadtest.BareClient(job.Parallelism, job.WriteBuffer)
	defer client.CloseIdleConnections()

	start := time.Now()
	err = uploadtest.BarePUT(client, f, job.Parallelism, job.Ops)
	secs := time.Since(start).Seconds()
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(putResult{Seconds: secs})
}
