package sim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// needTool skips when a client is missing, except under CI=true where it fails.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (apt-get install -y openssh-client sshpass curl)", name)
		}
		t.Skipf("%s not installed", name)
	}
}

func sshArgs(addr string, extra []string, command ...string) []string {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", "-p", port}
	args = append(args, extra...)
	return append(append(args, "netops@"+host), command...)
}

func runOpenSSH(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("sshpass", append([]string{"-e", "ssh"}, args...)...)
	cmd.Env = append(os.Environ(), "SSHPASS=netops")
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ssh %v: %v\n%s", args, err, out.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("ssh %v timed out\n%s", args, out.String())
	}
	return out.String()
}

func TestOpenSSHInteractive(t *testing.T) {
	needTool(t, "ssh")
	needTool(t, "sshpass")
	s := newTestSim(t, DeviceSpec{Name: "r1", Platform: "cisco_iosxe", SSH: true, Serial: "ABC123"})
	d := s.Device("r1")
	script := "show version\nenable\nnetops\nconf t\nhostname core1\ninterface GigabitEthernet3\nno shutdown\nend\nshow running-config\nfoo bar\nexit\n"
	out := runOpenSSH(t, script, sshArgs(d.SSHAddr(), []string{"-tt", "-o", "PubkeyAuthentication=no"})...)
	for _, want := range []string{"r1>", "Processor board ID ABC123", "Password: ", "r1(config)#", "core1(config-if)#",
		"core1#", "hostname core1", "% Invalid input detected at '^' marker.", "\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "Password: netops") {
		t.Errorf("enable secret was echoed:\n%s", out)
	}
	if !strings.Contains(d.RunningConfig(), "hostname core1") {
		t.Errorf("running config not kept on the device:\n%s", d.RunningConfig())
	}
	// A later session sees the change.
	out = runOpenSSH(t, "", sshArgs(d.SSHAddr(), []string{"-o", "PubkeyAuthentication=no"}, "show running-config | include hostname")...)
	if strings.TrimSpace(out) != "hostname core1" {
		t.Errorf("exec with pipe: %q", out)
	}
	if t.Failed() {
		t.Log(out)
	}
}

func TestOpenSSHExecAndAuthMethods(t *testing.T) {
	needTool(t, "ssh")
	needTool(t, "sshpass")
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	s := newTestSim(t, DeviceSpec{Name: "j1", Platform: "juniper_junos", SSH: true, AuthorizedKeys: []ssh.PublicKey{sshPub}})
	d := s.Device("j1")

	out := runOpenSSH(t, "", sshArgs(d.SSHAddr(), []string{"-o", "PreferredAuthentications=password"}, "show version")...)
	if !strings.Contains(out, "Hostname: j1") || !strings.Contains(out, "Junos: "+d.Spec().Version) {
		t.Errorf("password + exec: %q", out)
	}
	out = runOpenSSH(t, "", sshArgs(d.SSHAddr(), []string{"-o", "PreferredAuthentications=keyboard-interactive"}, "show version")...)
	if !strings.Contains(out, "JUNOS Serial Number: "+d.Spec().Serial) {
		t.Errorf("keyboard-interactive + exec: %q", out)
	}

	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600)
	cmd := exec.Command("ssh", sshArgs(d.SSHAddr(), []string{"-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"}, "show configuration | display set | match host-name")...)
	b, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(b)) != "set system host-name j1" {
		t.Errorf("public key + exec: %v %q", err, b)
	}
}
