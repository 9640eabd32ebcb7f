package sdk

import (
	"golang.org/x/sys/unix"
	"os"
	"strconv"
	"strings"
	"syscall"
)

const prSetChildSubreaper = 36

// becomeSubreaper makes orphaned descendants (an ssh spawned by a library's
// helper that exited) reparent to the plugin, so killChildren finds them.
func becomeSubreaper() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

// killChildren SIGKILLs every descendant of this process (scrapligo's system
// transport spawns ssh), deepest first.
func killChildren() {
	for _, pid := range descendants(os.Getpid()) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func descendants(pid int) []int {
	var out []int
	for _, c := range children(pid) {
		out = append(out, descendants(c)...)
		out = append(out, c)
	}
	return out
}

func children(pid int) []int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// waitExit blocks until process pid exits (true) or stop is closed (false,
// also when pidfds are not available: the caller then polls).
func waitExit(pid int, stop <-chan struct{}) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	// A pipe lets stop interrupt the poll.
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return false
	}
	defer unix.Close(p[0])
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-stop:
		case <-done:
		}
		unix.Close(p[1])
	}()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(p[0]), Events: unix.POLLIN | unix.POLLHUP}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		return fds[0].Revents&unix.POLLIN != 0
	}
}
