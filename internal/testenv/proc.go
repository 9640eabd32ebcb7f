package testenv

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PluginPIDs returns the live processes running the binary at binaryPath
// (matched on /proc/PID/exe, so copies elsewhere do not count). Zombies have
// no exe and are not counted.
func PluginPIDs(tb testing.TB, binaryPath string) []int {
	tb.Helper()
	want, err := filepath.Abs(binaryPath)
	if err != nil {
		tb.Fatal(err)
	}
	if r, err := filepath.EvalSymlinks(want); err == nil {
		want = r
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		tb.Skipf("testenv: no /proc: %v", err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err != nil {
			continue
		}
		if strings.TrimSuffix(exe, " (deleted)") == want {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// WaitNoProcesses waits until no process runs binaryPath, and reports a test
// error naming the survivors if some still do after within. It returns
// whether none is left.
func WaitNoProcesses(tb testing.TB, binaryPath string, within time.Duration) bool {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		pids := PluginPIDs(tb, binaryPath)
		if len(pids) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			tb.Errorf("testenv: %d process(es) of %s still running after %v: %s", len(pids), binaryPath, within, describePIDs(pids))
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PIDAlive reports whether pid is a live process (not gone, not a zombie).
func PIDAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may
	// itself contain them.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	state := b[i+2]
	return state != 'Z' && state != 'X'
}

// WaitPIDsGone waits until none of pids is alive, and reports a test error
// naming the survivors if some still are after within.
func WaitPIDsGone(tb testing.TB, pids []int, within time.Duration) bool {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		alive := slices.DeleteFunc(slices.Clone(pids), func(p int) bool { return !PIDAlive(p) })
		if len(alive) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			tb.Errorf("testenv: process(es) still alive after %v: %s", within, describePIDs(alive))
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func describePIDs(pids []int) string {
	parts := make([]string, len(pids))
	for i, pid := range pids {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		parts[i] = fmt.Sprintf("%d (%s)", pid, strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))))
	}
	return strings.Join(parts, ", ")
}

// OpenFDs returns how many file descriptors this process has open, for
// leak checks: compare before and after, allowing for the runtime's own.
func OpenFDs(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skipf("testenv: no /proc/self/fd: %v", err)
	}
	return len(ents) - 1 // the descriptor ReadDir itself used
}

// Stop sends SIGSTOP to pid and waits until every thread of the process is
// stopped (state T in /proc), so that a test's next call cannot be served by
// a thread that has not yet taken the signal.
func Stop(tb testing.TB, pid int) {
	tb.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		tb.Fatalf("testenv: SIGSTOP %d: %v", pid, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if allThreadsStopped(pid) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	tb.Fatalf("testenv: process %d not stopped 5s after SIGSTOP", pid)
}

func allThreadsStopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, t.Name()))
		if err != nil {
			return false
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) || s[i+2] != 'T' {
			return false
		}
	}
	return true
}
