// Package peers starts real protocol peers (OpenSSH sshd, netconfd) on
// 127.0.0.1 for tests, each on a free port in a temporary directory, and
// stops them at the end of the test. Tests need root (CI runs as root) and
// the Debian packages .ci/run installs; a missing package fails the test
// rather than skipping it.
package peers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// User and Password are the account the peers accept.
const (
	User     = "netyard-test"
	Password = "netyard-Test-pw1"
)

// SSHD is a running OpenSSH server.
type SSHD struct {
	Port       int
	Dir        string
	KnownHosts string // known_hosts line file for 127.0.0.1:Port
	cmd        *exec.Cmd
}

// SSHDOptions configure StartSSHD.
type SSHDOptions struct {
	// Subsystems maps a subsystem name to its command, e.g. "netconf".
	Subsystems map[string]string
	// ExtraConfig is appended to sshd_config.
	ExtraConfig string
}

// EnsureUser creates the test account (plain prompt, password set) if needed.
func EnsureUser(tb testing.TB) string {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Fatalf("peers: real peers need root (to run sshd and create %s); run the tests as root, as CI does", User)
	}
	if _, err := user.Lookup(User); err != nil {
		run(tb, "useradd", "-m", "-s", "/bin/bash", User)
	}
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(User + ":" + Password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("peers: chpasswd: %v: %s", err, out)
	}
	u, err := user.Lookup(User)
	if err != nil {
		tb.Fatal(err)
	}
	// A plain prompt: Debian's default .bashrc sets an xterm title escape
	// that prompt patterns trip over.
	rc := "case $- in *i*) ;; *) return ;; esac\nPS1='\\u@\\h\\$ '\nunset PROMPT_COMMAND\n"
	if err := os.WriteFile(filepath.Join(u.HomeDir, ".bashrc"), []byte(rc), 0o644); err != nil {
		tb.Fatal(err)
	}
	return u.HomeDir
}

// StartSSHD starts sshd on a free 127.0.0.1 port with password and public
// key auth for User; it is stopped when the test ends.
func StartSSHD(tb testing.TB, opts SSHDOptions) *SSHD {
	tb.Helper()
	EnsureUser(tb)
	bin := "/usr/sbin/sshd"
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("peers: %s not found: install openssh-server (.ci/run does)", bin)
	}
	dir := tb.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		tb.Fatal(err)
	}
	key := filepath.Join(dir, "ssh_host_ed25519_key")
	run(tb, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netyard-test", "-f", key)
	port := FreePort(tb)
	var sub strings.Builder
	for name, cmd := range opts.Subsystems {
		fmt.Fprintf(&sub, "Subsystem %s %s\n", name, cmd)
	}
	cfg := sshdConfig(port, key, filepath.Join(dir, "sshd.pid"), sub.String()+opts.ExtraConfig)
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-D", "-e", "-f", cfgPath)
	logf, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatalf("peers: start sshd: %v", err)
	}
	s := &SSHD{Port: port, Dir: dir, cmd: cmd}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	})
	if err := waitPort(port, 5*time.Second); err != nil {
		log, _ := os.ReadFile(logf.Name())
		tb.Fatalf("peers: sshd did not listen on %d: %v\n%s", port, err, log)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(pub))
	s.KnownHosts = filepath.Join(dir, "known_hosts")
	line := fmt.Sprintf("[127.0.0.1]:%d %s %s\n", port, f[0], f[1])
	if err := os.WriteFile(s.KnownHosts, []byte(line), 0o644); err != nil {
		tb.Fatal(err)
	}
	return s
}

// Log returns what sshd logged so far (for failure messages).
func (s *SSHD) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "sshd.log"))
	return string(b)
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitPort(port int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func run(tb testing.TB, name string, args ...string) {
	tb.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		tb.Fatalf("peers: %s %v: %v: %s", name, args, err, out)
	}
}

// sshdConfig is the sshd_config of every test sshd: loopback only, the test
// user only, password and key auth, no PAM; extra is appended.
func sshdConfig(port int, hostKey, pidFile, extra string) string {
	return fmt.Sprintf(`ListenAddress 127.0.0.1:%d
HostKey %s
PidFile %s
AllowUsers %s
PermitRootLogin no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 200:30:400
MaxSessions 64
LoginGraceTime 30
StrictModes no
%s
`, port, hostKey, pidFile, User, extra)
}
