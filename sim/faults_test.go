package sim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/options"
	"golang.org/x/crypto/ssh"
)

func dialSSH(t *testing.T, addr string) (*ssh.Client, error) {
	t.Helper()
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:            "netops",
		Auth:            []ssh.AuthMethod{ssh.Password("netops")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         5 * time.Second,
	})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func execSSH(t *testing.T, addr, cmd string) (string, error) {
	t.Helper()
	c, err := dialSSH(t, addr)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.Output(cmd)
	return string(out), err
}

func TestFaultLatencyAndAuth(t *testing.T) {
	s := newTestSim(t, DeviceSpec{Name: "r1", Platform: "cisco_iosxe", SSH: true})
	d := s.Device("r1")
	d.SetFaults(Faults{Latency: 300 * time.Millisecond})
	start := time.Now()
	out, err := execSSH(t, d.SSHAddr(), "show clock\nshow clock")
	if err != nil || strings.Count(out, "UTC") != 2 {
		t.Fatalf("exec: %v %q", err, out)
	}
	if el := time.Since(start); el < 600*time.Millisecond {
		t.Errorf("two commands with 300ms latency took %v", el)
	}
	d.SetFaults(Faults{AuthFail: true})
	if _, err := dialSSH(t, d.SSHAddr()); err == nil {
		t.Fatal("login succeeded with AuthFail")
	}
	if d.Stats().AuthFailures == 0 {
		t.Error("auth failure not counted")
	}
	d.SetFaults(Faults{})
	if _, err := dialSSH(t, d.SSHAddr()); err != nil {
		t.Fatalf("login after clearing AuthFail: %v", err)
	}
}

func TestFaultDropAfter(t *testing.T) {
	s := newTestSim(t, DeviceSpec{Name: "r1", Platform: "cisco_iosxe", SSH: true, Faults: Faults{DropAfter: 2}})
	d := s.Device("r1")
	out, err := execSSH(t, d.SSHAddr(), "show clock\nshow clock\nshow clock")
	var exitErr *ssh.ExitMissingError
	if !errors.As(err, &exitErr) || strings.Count(out, "UTC") != 2 {
		t.Fatalf("want 2 answers then a dropped connection, got %v %q", err, out)
	}

	// scrapligo: the on-open commands count too.
	d.SetFaults(Faults{})
	before := d.Stats().Commands
	drv := openScrapli(t, d, options.WithTimeoutOps(2*time.Second))
	opened := int(d.Stats().Commands - before)
	d.SetFaults(Faults{DropAfter: opened + 1})
	if r, err := drv.SendCommand("show version"); err != nil || r.Failed != nil {
		t.Fatalf("command %d: %v", opened+1, err)
	}
	if _, err := drv.SendCommand("show version"); err == nil {
		t.Fatalf("command %d answered after DropAfter %d", opened+2, opened+1)
	}
}

func TestFaultHang(t *testing.T) {
	s := newTestSim(t, DeviceSpec{Name: "e1", Platform: "arista_eos", SSH: true})
	d := s.Device("e1")
	drv := openScrapli(t, d, options.WithTimeoutOps(500*time.Millisecond))
	d.SetFaults(Faults{Hang: true})
	start := time.Now()
	if _, err := drv.SendCommand("show version"); err == nil {
		t.Fatal("hung device answered")
	}
	if time.Since(start) < 400*time.Millisecond {
		t.Errorf("timed out too early: %v", time.Since(start))
	}
}

func TestFaultOutputSize(t *testing.T) {
	// 64 MiB through ssh exec; scrapligo reads slowly (about 3 MiB/s), so it gets 4 MiB.
	const size = 64 << 20
	s := newTestSim(t,
		DeviceSpec{Name: "r1", Platform: "cisco_iosxe", SSH: true, Faults: Faults{OutputSize: size}},
		DeviceSpec{Name: "j1", Platform: "juniper_junos", SSH: true, Faults: Faults{OutputSize: 4 << 20}},
	)
	out, err := execSSH(t, s.Device("r1").SSHAddr(), "show running-config")
	if err != nil || len(out) < size || !strings.HasSuffix(out, "end\n") || !strings.Contains(out, "ip access-list extended FILLER-1000\n") {
		t.Fatalf("exec: %v, %d bytes", err, len(out))
	}
	drv := openScrapli(t, s.Device("j1"), options.WithTimeoutOps(60*time.Second))
	start := time.Now()
	r, err := drv.SendCommand("show configuration")
	if err != nil || r.Failed != nil || len(r.Result) < 4<<20-1000 {
		t.Fatalf("scrapligo: %v, %d bytes", err, len(r.Result))
	}
	t.Logf("4 MiB through scrapligo in %v", time.Since(start))
}
