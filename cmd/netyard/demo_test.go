package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/netyard/netyard/internal/testenv"
)

// TestDemo runs `netyard demo` as a new user would, with the real plugins.
func TestDemo(t *testing.T) {
	dir := testenv.PluginDir(t, "scrapli-ssh", "netconf", "httpx-api")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"demo", "--plugin-dir", dir}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"scrapli-ssh", "netconf", "httpx-api", "Loopback100 description in running-config",
		"demo0 in running", "HTTP 200", "10 steps, 0 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	testenv.WaitNoProcesses(t, testenv.BinaryIn(t, dir, "scrapli-ssh"), 3*time.Second)
}

// TestDemoWithoutPlugins says what to do instead of failing obscurely.
func TestDemoWithoutPlugins(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"demo", "--plugin-dir", t.TempDir()}, &out, &errOut)
	if code == exitOK || !strings.Contains(errOut.String(), "make build") {
		t.Fatalf("demo without plugins: exit %d, stderr %q", code, errOut.String())
	}
}
