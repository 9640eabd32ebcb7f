package peers

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Netconfd is a running yuma123 netconfd behind an OpenSSH "netconf"
// subsystem on 127.0.0.1: NETCONF over SSH at Host:Port for User/Password,
// with the candidate and startup datastores and the ietf-interfaces module.
//
// Starting netconfd is cheap (~60 ms), but proving it stays up is not: with
// the ietf-interfaces module it aborts about a second after start when its
// helpers misbehave. So one instance serves a whole test binary: the first
// StartNetconfd starts it and waits for the proof once; later calls return
// the same instance. Tests share its datastores and must use their own
// names (e.g. one interface per test). StopNetconfd, from TestMain, stops
// it; were it forgotten, both daemons die with the test binary anyway
// (parent-death signal).
type Netconfd struct {
	Host       string // 127.0.0.1
	Port       int    // NETCONF over SSH
	KnownHosts string // known_hosts line file for [Host]:Port
	Dir        string // configs, logs, netconfd's yuma home

	netconfd *exec.Cmd
	sshd     *exec.Cmd
	logs     []*os.File
}

// The packages CI must install for StartNetconfd.
const NetconfdPackages = "openssh-server netconfd netconfd-module-ietf-interfaces"

var (
	ncMu     sync.Mutex
	ncShared *Netconfd
	ncErr    error
)

// netconfdSettle is how long netconfd must survive after start: the
// ietf-interfaces SIL polls its get-interface-ipv4 helper every second and
// asserts on a bad answer.
const netconfdSettle = 2500 * time.Millisecond

// StartNetconfd returns the test binary's netconfd, starting it on first
// use. A failed start fails every caller; missing packages fail the test
// (CI installs NetconfdPackages), they do not skip it.
func StartNetconfd(tb testing.TB) *Netconfd {
	tb.Helper()
	ncMu.Lock()
	defer ncMu.Unlock()
	if ncShared == nil && ncErr == nil {
		EnsureUser(tb)
		ncShared, ncErr = startNetconfd()
	}
	if ncErr != nil {
		tb.Fatalf("peers: netconfd: %v", ncErr)
	}
	n := ncShared
	tb.Cleanup(func() {
		if !n.Alive() {
			tb.Errorf("peers: netconfd died during the test; its log:\n%s", n.Log())
		}
	})
	return n
}

// StopNetconfd stops the shared netconfd and its sshd, if started, and
// removes their directory. Call it from TestMain after m.Run.
func StopNetconfd() {
	ncMu.Lock()
	defer ncMu.Unlock()
	if ncShared != nil {
		ncShared.stop()
	}
	ncShared, ncErr = nil, nil
}

// Alive reports whether netconfd and sshd are still running.
func (n *Netconfd) Alive() bool {
	for _, c := range []*exec.Cmd{n.netconfd, n.sshd} {
		if c == nil || c.Process == nil || syscall.Kill(c.Process.Pid, 0) != nil || zombie(c.Process.Pid) {
			return false
		}
	}
	return true
}

// Addr returns Host:Port.
func (n *Netconfd) Addr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.Port)) }

// Log returns netconfd's and sshd's logs so far (for failure messages).
func (n *Netconfd) Log() string {
	var b strings.Builder
	for _, f := range []string{"netconfd.log", "netconfd.out", "sshd.log"} {
		data, _ := os.ReadFile(filepath.Join(n.Dir, f))
		fmt.Fprintf(&b, "--- %s\n%s", f, tail(data, 4000))
	}
	return b.String()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}

func (n *Netconfd) stop() {
	for _, c := range []*exec.Cmd{n.sshd, n.netconfd} {
		if c != nil && c.Process != nil {
			_ = c.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = c.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				_ = c.Process.Kill()
				<-done
			}
		}
	}
	for _, f := range n.logs {
		f.Close()
	}
	_ = os.RemoveAll(n.Dir)
}

// Helper scripts netconfd's ietf-interfaces SIL runs (see the testbed
// recipe): get-interface-ipv4 is not shipped by Debian and its absence
// aborts netconfd; ifconfig is shadowed so an edit of "enabled" never flaps
// a real interface.
const (
	getInterfaceIPv4 = `#!/bin/sh
# Prints ietf-ip <ipv4> state XML for interface $1 (or nothing); must exit 0.
command -v ip >/dev/null 2>&1 || exit 0
ips=$(ip -4 -o addr show dev "$1" 2>/dev/null | awk '{split($4,a,"/"); print a[1]}')
[ -n "$ips" ] || exit 0
printf '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">'
for a in $ips; do printf '<address><ip>%s</ip></address>' "$a"; done
printf '</ipv4>\n'
`
	fakeIfconfig = `#!/bin/sh
echo "ifconfig $*" >> "$NETYARD_IFCONFIG_LOG"
exit 0
`
)

func startNetconfd() (n *Netconfd, err error) {
	for _, bin := range []string{"/usr/sbin/netconfd", "/usr/sbin/netconf-subsystem", "/usr/sbin/sshd"} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("%s not found: install %s (.ci/run does)", bin, NetconfdPackages)
		}
	}
	if matches, _ := filepath.Glob("/usr/lib/*/yuma/libietf-interfaces.so"); len(matches) == 0 {
		return nil, errors.New("the ietf-interfaces module is not installed: install netconfd-module-ietf-interfaces")
	}
	u, err := user.Lookup(User)
	if err != nil {
		return nil, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)

	dir, err := os.MkdirTemp("", "netyard-netconfd-")
	if err != nil {
		return nil, err
	}
	n = &Netconfd{Host: "127.0.0.1", Dir: dir}
	defer func() {
		if err != nil {
			if n.netconfd != nil || n.sshd != nil {
				err = fmt.Errorf("%w\n%s", err, n.Log())
			}
			n.stop()
		}
	}()
	bin, home := filepath.Join(dir, "bin"), filepath.Join(dir, "yuma")
	for _, d := range []string{dir, bin, home, "/run/sshd"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return n, err
		}
		if err := os.Chmod(d, 0o755); err != nil {
			return n, err
		}
	}
	// netconfd writes its transaction-id file and saved config under its
	// yuma home (and the working directory), as the test user.
	for _, d := range []string{home, filepath.Join(home, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return n, err
		}
		if err := os.Chown(d, uid, gid); err != nil {
			return n, err
		}
	}
	for name, text := range map[string]string{"get-interface-ipv4": getInterfaceIPv4, "ifconfig": fakeIfconfig} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			return n, err
		}
	}
	// netconfd logs as the test user.
	for _, f := range []string{"netconfd.log", "ifconfig.log"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o666); err != nil {
			return n, err
		}
		_ = os.Chown(filepath.Join(dir, f), uid, gid)
	}

	port, err := freePort()
	if err != nil {
		return n, err
	}
	n.Port = port
	sock := filepath.Join(home, "ncxserver.sock")
	start := time.Now()

	// netconfd accepts a session only for a --port it listens on (830
	// otherwise), and netconf-subsystem finds its socket by sshd's local
	// port (--ncxserver-sockname=PORT@SOCKET).
	out, err := os.Create(filepath.Join(dir, "netconfd.out"))
	if err != nil {
		return n, err
	}
	n.logs = append(n.logs, out)
	nc := exec.Command("/usr/sbin/netconfd", "--yuma-home="+home, "--no-startup", "--with-startup=true",
		"--target=candidate", "--superuser="+User, "--port="+strconv.Itoa(port), "--ncxserver-sockname="+sock,
		"--module=ietf-interfaces", "--log="+filepath.Join(dir, "netconfd.log"), "--log-level=info")
	nc.Dir = home
	nc.Env = []string{"PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=" + home,
		"NETYARD_IFCONFIG_LOG=" + filepath.Join(dir, "ifconfig.log")}
	nc.Stdout, nc.Stderr = out, out
	nc.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)},
		Setsid:     true,
		Pdeathsig:  syscall.SIGKILL, // set after the uid change, so it survives it
	}
	if err := nc.Start(); err != nil {
		return n, fmt.Errorf("start netconfd: %w", err)
	}
	n.netconfd = nc
	for deadline := time.Now().Add(10 * time.Second); ; {
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			break
		}
		if time.Now().After(deadline) || !n.processAlive(nc) {
			return n, errors.New("netconfd did not create its socket")
		}
		time.Sleep(10 * time.Millisecond)
	}

	if err := n.startSSHD(sock); err != nil {
		return n, err
	}
	// The proof that netconfd survives its SIL's polls, paid once per test binary.
	for time.Since(start) < netconfdSettle {
		if !n.Alive() {
			return n, errors.New("netconfd or sshd exited after start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !n.Alive() {
		return n, errors.New("netconfd or sshd exited after start")
	}
	return n, nil
}

func (n *Netconfd) processAlive(c *exec.Cmd) bool {
	return c.Process != nil && syscall.Kill(c.Process.Pid, 0) == nil && !zombie(c.Process.Pid)
}

func (n *Netconfd) startSSHD(sock string) error {
	key := filepath.Join(n.Dir, "ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netyard-test", "-f", key).CombinedOutput(); err != nil {
		return fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	cfg := sshdConfig(n.Port, key, "none", fmt.Sprintf("Subsystem netconf /usr/sbin/netconf-subsystem --ncxserver-sockname=%d@%s\n", n.Port, sock))
	cfgPath := filepath.Join(n.Dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(n.Dir, "sshd.log"))
	if err != nil {
		return err
	}
	n.logs = append(n.logs, logf)
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start sshd: %w", err)
	}
	n.sshd = cmd
	if err := waitPort(n.Port, 5*time.Second); err != nil {
		return fmt.Errorf("sshd did not listen on %d: %w", n.Port, err)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		return err
	}
	f := strings.Fields(string(pub))
	n.KnownHosts = filepath.Join(n.Dir, "known_hosts")
	return os.WriteFile(n.KnownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s %s\n", n.Port, f[0], f[1])), 0o644)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
