package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/sim"
)

// envSimChild makes the test binary run only a simulator: N IOS-XE devices,
// their records as JSON lines on stdout, then "ready"; it exits when its
// stdin closes. Memory figures then count the host alone.
const envSimChild = "NETYARD_BENCH_SIM_CHILD"

func TestMain(m *testing.M) {
	if n, _ := strconv.Atoi(os.Getenv(envSimChild)); n > 0 {
		os.Exit(simChild(n))
	}
	os.Exit(m.Run())
}

func simChild(n int) int {
	s, err := sim.Fleet(context.Background(), sim.Options{}, sim.FleetSpec{IOS: n})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	enc := json.NewEncoder(os.Stdout)
	for _, d := range s.Devices() {
		enc.Encode(deviceOf(d))
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString(0) // until the parent closes stdin
	return 0
}

// simProcess starts n simulated IOS-XE devices in a child process and
// returns their device records; the child stops when the benchmark ends.
func simProcess(b *testing.B, n int) []host.Device {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envSimChild+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	var devs []host.Device
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "ready" {
			return devs
		}
		var d host.Device
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			b.Fatalf("simulator child: %v: %q", err, sc.Text())
		}
		devs = append(devs, d)
	}
	b.Fatalf("simulator child ended before it was ready: %v", sc.Err())
	return nil
}

// openDevices opens one connection per device, inFlight at a time, and
// returns them with the plugin pids that serve them.
func openDevices(b *testing.B, h *host.Host, devs []host.Device, inFlight int) ([]*host.Conn, []int) {
	b.Helper()
	conns := make([]*host.Conn, len(devs))
	errs := make(chan error, len(devs))
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	for i, d := range devs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := h.Open(context.Background(), d, sshReq)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		closeAll(conns)
		b.Fatal(err)
	}
	seen := map[int]bool{}
	var pids []int
	for _, c := range conns {
		if p := c.Plugin().PID; !seen[p] {
			seen[p] = true
			pids = append(pids, p)
		}
	}
	return conns, pids
}
