package main

import "testing"

// TestResultStripsEchoAfterStrayNewline: the shell may put a newline before
// the echo of the command (seen with the system transport); the echo line
// must still be cut from the result.
func TestResultStripsEchoAfterStrayNewline(t *testing.T) {
	s := &session{plat: &platformDef{}}
	for _, out := range []string{
		"user@vm$ echo hello; id -un\nhello\nuser\nuser@vm$ ",
		"\nuser@vm$ echo hello; id -un\nhello\nuser\nuser@vm$ ",
		"\n\necho hello; id -un\nhello\nuser\nuser@vm$ ",
	} {
		at := len(out) - len("user@vm$ ")
		if got := s.result([]byte(out), at, "echo hello; id -un"); got != "hello\nuser" {
			t.Errorf("result(%q) = %q, want %q", out, got, "hello\nuser")
		}
	}
}
