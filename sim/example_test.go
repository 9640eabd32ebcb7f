package sim_test

import (
	"context"
	"fmt"

	"golang.org/x/crypto/ssh"

	"github.com/netyard/netyard/sim"
)

// ExampleFleet starts one simulated IOS-XE device and runs a command over SSH exec.
func ExampleFleet() {
	s, err := sim.Fleet(context.Background(), sim.Options{}, sim.FleetSpec{IOS: 1})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	d := s.Device("ios1")
	c, err := ssh.Dial("tcp", d.SSHAddr(), &ssh.ClientConfig{
		User:            "netops",
		Auth:            []ssh.AuthMethod{ssh.Password("netops")},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey()),
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	sess, _ := c.NewSession()
	defer sess.Close()
	out, _ := sess.Output("show running-config | include ^hostname")
	fmt.Print(string(out))
	// Output: hostname ios1
}
