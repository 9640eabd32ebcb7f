package peers

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestSSHDLogin(t *testing.T) {
	s := StartSSHD(t, SSHDOptions{})
	cmd := exec.Command("sshpass", "-e", "ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile="+s.KnownHosts, "-o", "PreferredAuthentications=password",
		"-o", "PubkeyAuthentication=no", "-p", strconv.Itoa(s.Port), "-l", User, "127.0.0.1", "echo shell-ok")
	cmd.Env = append(cmd.Environ(), "SSHPASS="+Password)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "shell-ok" {
		t.Fatalf("ssh login: %v: %s\nsshd log:\n%s", err, out, s.Log())
	}
}
