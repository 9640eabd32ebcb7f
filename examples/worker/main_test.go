package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestWorkerOnSimulator(t *testing.T) {
	dir := testenv.PluginDir(t, "scrapli-ssh")
	bin := testenv.BinaryIn(t, dir, "scrapli-ssh")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--plugin-dir", dir, "--sim", "6", "--concurrency", "3",
		"--command", "show version", "--command", "show bogus"}, &out, &errOut)
	t.Logf("output:\n%s%s", out.String(), errOut.String())
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, want := range []string{"simulator: 6 devices", "6 devices: 6 ok, 0 failed", "ios2", "eos2", "junos2",
		`"show bogus" rejected`, "scrapli-ssh"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	testenv.WaitNoProcesses(t, bin, 5e9)
}

// A device with a wrong password and one that is down fail with their typed
// errors among devices that work; only the one that is down is retried.
func TestWorkerTypedErrors(t *testing.T) {
	dir := testenv.PluginDir(t, "scrapli-ssh")
	s, err := sim.Fleet(context.Background(), sim.Options{}, sim.FleetSpec{IOS: 2, Junos: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	devs := simDevices(s)
	bad := devs[0]
	bad.ID, bad.Password = "badpass", "wrong-password-123"
	down := devs[0]
	down.ID, down.Port = "down", closedPort(t)
	devs = append(devs, bad, down)
	for i := range devs {
		if i < 3 {
			devs[i].Password = "" // from $WORKER_PASSWORD
		}
	}
	t.Setenv("WORKER_PASSWORD", "netops")
	data, _ := json.Marshal(devs)
	file := filepath.Join(t.TempDir(), "devices.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--plugin-dir", dir, "--devices", file, "--retries", "1"}, &out, &errOut)
	t.Logf("output:\n%s%s", out.String(), errOut.String())
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	lines := map[string]string{}
	for line := range strings.Lines(out.String()) {
		if f := strings.Fields(line); len(f) > 0 {
			lines[f[0]] = line
		}
	}
	for id, want := range map[string][]string{
		"badpass":  {"FAILED creation (not retryable)", " 1 "},
		"badpass:": {"authentication failed"},
		"down":     {"FAILED creation (retryable)", " 2 "},
		"ios1":     {"ios1 C8000V"},
		"junos1":   {"junos1 vmx"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[id], w) {
				t.Errorf("line of %s lacks %q: %q", id, w, lines[id])
			}
		}
	}
	if !strings.Contains(out.String(), "5 devices: 3 ok, 2 failed (creation 2)") {
		t.Error("summary missing or wrong")
	}
	if strings.Contains(out.String(), "wrong-password-123") {
		t.Error("the output shows a password")
	}
}

func TestWorkerUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--sim", "2", "--devices", "x.json"}, {"--sim", "2", "--concurrency", "0"}, {"--bogus"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("run %q = %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}

func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p, _ := strconv.Atoi(strings.TrimPrefix(l.Addr().String(), "127.0.0.1:"))
	return p
}
