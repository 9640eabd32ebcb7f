package sim

import (
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/netyard/netyard/sim/datastore"
	"github.com/netyard/netyard/sim/netconf"
)

// Faults are the per-device fault and load knobs. They can be changed while the device
// runs (Device.SetFaults); sessions read them before every command, RPC or request.
type Faults struct {
	// Latency is added before every CLI command reply, NETCONF RPC reply and HTTP response.
	Latency time.Duration
	// AuthFail rejects every authentication attempt (SSH, NETCONF, HTTP).
	AuthFail bool
	// DropAfter closes an SSH or NETCONF connection after it answered N commands/RPCs
	// (0 = never). Every non-empty CLI line counts, including the paging commands a
	// client sends on open.
	DropAfter int
	// Hang reads commands but never answers them (the connection stays open).
	Hang bool
	// OutputSize pads `show running-config` (Junos: `show configuration`) and NETCONF
	// get-config with realistic filler configuration to at least this many bytes
	// (0 = natural size).
	OutputSize int
	// HTTPErrors answers the next N HTTP requests with HTTPErrorStatus and Retry-After: 1.
	HTTPErrors int
	// HTTPErrorStatus is the status used for HTTPErrors: 503 (default) or e.g. 429.
	HTTPErrorStatus int
}

// Stats are a device's counters since it started.
type Stats struct {
	Logins       int64 // successful SSH/NETCONF authentications and HTTP logins
	AuthFailures int64 // rejected authentication attempts
	Commands     int64 // CLI commands received
	RPCs         int64 // NETCONF RPCs received
	HTTPRequests int64 // HTTP requests received (any path)
	OpenSessions int64 // SSH and NETCONF sessions currently open
}

// DeviceSpec describes one simulated device. Empty fields get deterministic defaults
// derived from Name and Platform, so a test can compute them too (or read Device.Spec).
type DeviceSpec struct {
	Name     string // inventory name, e.g. "ios1"
	Platform string // cisco_iosxe | arista_eos | juniper_junos (see Platforms)

	Hostname, Vendor, Model, Serial, Version string

	Username, Password, EnableSecret string // default netops/netops/netops

	// AuthorizedKeys may log in with public-key authentication (SSH and NETCONF).
	AuthorizedKeys []ssh.PublicKey

	// SSH, NETCONF, HTTP and HTTPS select the services to start, each on its own port.
	SSH, NETCONF, HTTP, HTTPS bool

	// NETCONFBase10Only advertises only urn:ietf:params:netconf:base:1.0 in the hello.
	NETCONFBase10Only bool

	// TokenTTL is the lifetime of bearer tokens from POST /api/v1/login (default 1h).
	TokenTTL time.Duration

	// Faults are the initial fault knobs.
	Faults Faults
}

// withDefaults fills the empty fields of spec from the platform.
func (spec DeviceSpec) withDefaults(p *Platform) DeviceSpec {
	h := fnv.New32a()
	h.Write([]byte(spec.Platform + "/" + spec.Name))
	sum := h.Sum32()
	if spec.Hostname == "" {
		spec.Hostname = spec.Name
	}
	if spec.Vendor == "" {
		spec.Vendor = p.Vendor
	}
	if spec.Model == "" {
		spec.Model = p.Model
	}
	if spec.Version == "" {
		spec.Version = p.Version
	}
	if spec.Serial == "" {
		spec.Serial = fmt.Sprintf("%s%08X", p.SerialPrefix, sum)
	}
	if spec.Username == "" {
		spec.Username = "netops"
	}
	if spec.Password == "" {
		spec.Password = "netops"
	}
	if spec.EnableSecret == "" {
		spec.EnableSecret = "netops"
	}
	if spec.TokenTTL <= 0 {
		spec.TokenTTL = time.Hour
	}
	return spec
}

// Device is one simulated device. Its methods are safe for concurrent use.
type Device struct {
	sim     *Sim
	spec    DeviceSpec
	plat    *Platform
	started time.Time
	index   int // position in the Sim, used for addresses in the generated config

	mu         sync.Mutex
	faults     Faults
	hostname   string
	running    []*cfgNode // active configuration
	candidate  []*cfgNode // junos candidate configuration (nil when equal to running)
	lastCommit time.Time
	ifaces     []*apiInterface
	tokens     map[string]time.Time
	conns      map[net.Conn]struct{}

	sshAddr, ncAddr, httpAddr, httpsAddr string
	listeners                            []net.Listener
	servers                              []*http.Server

	logins, authFailures, commands, rpcs, httpRequests, openSessions atomic.Int64

	storeOnce sync.Once
	store     *datastore.Store
	ncServer  *netconf.Server
}

// Spec returns the device's specification with all defaults filled in.
func (d *Device) Spec() DeviceSpec { return d.spec }

// Name returns the inventory name.
func (d *Device) Name() string { return d.spec.Name }

// Hostname returns the current hostname (changed by configuration).
func (d *Device) Hostname() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hostname
}

// SSHAddr returns the CLI SSH address "127.0.0.1:port", or "" when SSH is not started.
func (d *Device) SSHAddr() string { return d.sshAddr }

// NETCONFAddr returns the NETCONF-over-SSH address, or "".
func (d *Device) NETCONFAddr() string { return d.ncAddr }

// HTTPAddr returns the plain HTTP API address, or "".
func (d *Device) HTTPAddr() string { return d.httpAddr }

// HTTPSAddr returns the HTTPS API address, or "".
func (d *Device) HTTPSAddr() string { return d.httpsAddr }

// SetFaults replaces the fault knobs; open sessions see the change at their next command.
func (d *Device) SetFaults(f Faults) {
	d.mu.Lock()
	d.faults = f
	d.mu.Unlock()
}

// Faults returns the current fault knobs (HTTPErrors counts down as requests fail).
func (d *Device) Faults() Faults {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults
}

// Stats returns a snapshot of the device's counters.
func (d *Device) Stats() Stats {
	return Stats{
		Logins:       d.logins.Load(),
		AuthFailures: d.authFailures.Load(),
		Commands:     d.commands.Load(),
		RPCs:         d.rpcs.Load(),
		HTTPRequests: d.httpRequests.Load(),
		OpenSessions: d.openSessions.Load(),
	}
}

// RunningConfig returns the current CLI running configuration at its natural size
// (without OutputSize padding), as `show running-config` (Junos: `show configuration`)
// would print it.
func (d *Device) RunningConfig() string {
	var b strings.Builder
	d.writeConfig(&b, configView{user: d.spec.Username, noFiller: true})
	return b.String()
}

// trackConn registers an open connection so Close can cut it; it reports false when the
// Sim is already closing.
func (d *Device) trackConn(c net.Conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conns == nil {
		return false
	}
	d.conns[c] = struct{}{}
	return true
}

func (d *Device) untrackConn(c net.Conn) {
	d.mu.Lock()
	delete(d.conns, c)
	d.mu.Unlock()
}

// closeConns closes every tracked connection and refuses new ones.
func (d *Device) closeConns() {
	d.mu.Lock()
	conns := d.conns
	d.conns = nil
	d.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

// httpFault consumes one HTTPErrors credit, returning the status to fail with or 0.
func (d *Device) httpFault() (status int, f Faults) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f = d.faults
	if d.faults.HTTPErrors > 0 {
		d.faults.HTTPErrors--
		status = d.faults.HTTPErrorStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
	}
	return status, f
}
