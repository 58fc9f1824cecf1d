package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// measured is what runMeasured learns about a child process.
type measured struct {
	Wall float64 // seconds from start to exit
	// HWMMiB is the child's own peak resident set (VmHWM of
	// /proc/PID/status), polled every hwmPoll while it runs. This is the
	// figure reported.
	HWMMiB float64
	// MaxRSSMiB is rusage's ru_maxrss. On Linux it is only an upper bound
	// for a child of a Go program: os/exec starts children with
	// CLONE_VM|CLONE_VFORK, so at execve the kernel folds the parent's
	// resident high-water mark into the child's maxrss (fs/exec.c,
	// setmax_mm_hiwater_rss). A child of a 35 MiB parent never reports less
	// than 35 MiB, however small it is.
	MaxRSSMiB float64
}

const hwmPoll = 10 * time.Millisecond

// runMeasured runs cmd to completion, polling its VmHWM.
func runMeasured(cmd *exec.Cmd) (measured, error) {
	var m measured
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return m, err
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var hwmKiB int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		path := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		t := time.NewTicker(hwmPoll)
		defer t.Stop()
		for {
			if kib, ok := readHWM(path); ok {
				hwmKiB = max(hwmKiB, kib)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	m.Wall = time.Since(start).Seconds()
	close(done)
	wg.Wait()
	m.HWMMiB = float64(hwmKiB) / 1024
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.MaxRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	if err == nil && hwmKiB == 0 {
		err = fmt.Errorf("could not read VmHWM of process %d from /proc (Linux only)", cmd.Process.Pid)
	}
	return m, err
}

// readHWM reads the VmHWM line (KiB) of a /proc/PID/status file. It fails
// once the process has exited (a zombie has no memory map).
func readHWM(path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	return parseHWM(data)
}

func parseHWM(status []byte) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
			f := bytes.Fields(rest)
			if len(f) != 2 || string(f[1]) != "kB" {
				return 0, false
			}
			n, err := strconv.ParseInt(string(f[0]), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
