package sdk

import (
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
