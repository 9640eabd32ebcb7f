package host

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// A launch does not rehash an unchanged binary, and does rehash one that
// changed, even when size and mtime were kept.
func TestSumCache(t *testing.T) {
	var c sumCache
	path := filepath.Join(t.TempDir(), "bin")
	write := func(s string) os.FileInfo {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	fi := write("one")
	a, err := c.sum(path, fi)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if b, _ := c.sum(path, fi); b != a {
			t.Fatal("cached sum differs")
		}
	}
	if c.hashed != 1 {
		t.Errorf("hashed %d times, want 1", c.hashed)
	}

	if runtime.GOOS != "linux" {
		t.Skip("only Linux has the ctime that tells this change apart")
	}
	mtime := fi.ModTime()
	write("two") // same size
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	fi2, _ := os.Stat(path)
	b, err := c.sum(path, fi2)
	if err != nil {
		t.Fatal(err)
	}
	if b == a || c.hashed != 2 {
		t.Errorf("changed file with the same size and mtime not rehashed (hashed %d)", c.hashed)
	}
}
