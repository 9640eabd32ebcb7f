// Package sim simulates network devices on loopback for tests and demos: SSH CLI devices
// whose prompts and modes follow scrapligo's platform definitions (cisco_iosxe,
// arista_eos, juniper_junos), a JSON HTTP API with RESTCONF, NETCONF over SSH, run-time
// fault knobs, and a Nornir inventory writer. One process can run thousands of devices.
//
// Platform behaviour is data: sim/platforms/<platform>.yaml holds prompts, commands,
// outputs and error strings; the Go code is a generic mode/command interpreter.
package sim

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Options configure a Sim.
type Options struct {
	// Host is the address every listener binds to (default 127.0.0.1).
	Host string
	// PortBase, when non-zero, gives services consecutive ports from PortBase on (ports in
	// use are skipped); 0 lets the kernel choose.
	PortBase int
	// Logger receives session-level logs; nil discards them.
	Logger *slog.Logger
}

// Sim is a set of simulated devices sharing one SSH host key and one TLS certificate
// authority. Close stops everything.
type Sim struct {
	opts    Options
	log     *slog.Logger
	signer  ssh.Signer
	caPEM   []byte
	tlsConf *tls.Config

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	devices  []*Device
	byName   map[string]*Device
	nextPort int
	closed   bool
}

// New creates an empty Sim: it generates the shared ed25519 host key and the TLS CA and
// server certificate once, so adding devices is cheap.
func New(opts Options) (*Sim, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sim: generate host key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("sim: host key signer: %w", err)
	}
	caPEM, cert, err := newCertificates(opts.Host)
	if err != nil {
		return nil, fmt.Errorf("sim: tls certificates: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Sim{
		opts:     opts,
		log:      log,
		signer:   signer,
		caPEM:    caPEM,
		tlsConf:  &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ctx:      ctx,
		cancel:   cancel,
		byName:   map[string]*Device{},
		nextPort: opts.PortBase,
	}, nil
}

// CACertPEM returns the PEM-encoded CA certificate that signed every device's HTTPS
// certificate (SANs 127.0.0.1, ::1 and localhost); clients add it to their trust pool.
func (s *Sim) CACertPEM() []byte { return append([]byte(nil), s.caPEM...) }

// HostKey returns the SSH host key shared by every device (CLI and NETCONF).
func (s *Sim) HostKey() ssh.PublicKey { return s.signer.PublicKey() }

// Devices returns the devices in the order they were added.
func (s *Sim) Devices() []*Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Device(nil), s.devices...)
}

// Device returns the device with the given inventory name, or nil.
func (s *Sim) Device(name string) *Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byName[name]
}

// Add creates a device from spec and starts its services. ctx bounds only the start-up;
// the device runs until Close.
func (s *Sim) Add(ctx context.Context, spec DeviceSpec) (*Device, error) {
	if spec.Name == "" {
		return nil, errors.New("sim: device spec without a name")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if spec.Platform == "" {
		spec.Platform = "cisco_iosxe"
	}
	p, err := LookupPlatform(spec.Platform)
	if err != nil {
		return nil, fmt.Errorf("sim: device %s: %w", spec.Name, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("sim: device %s: sim is closed", spec.Name)
	}
	if s.byName[spec.Name] != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("sim: device %s already exists", spec.Name)
	}
	index := len(s.devices)
	s.mu.Unlock()

	spec = spec.withDefaults(p)
	d := &Device{
		sim: s, spec: spec, plat: p, started: time.Now(), index: index,
		faults: spec.Faults, hostname: spec.Hostname, lastCommit: time.Now(),
		tokens: map[string]time.Time{}, conns: map[net.Conn]struct{}{},
	}
	d.initConfig()
	d.initInterfaces()

	if err := s.start(d); err != nil {
		d.stop()
		return nil, fmt.Errorf("sim: device %s: %w", spec.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.byName[spec.Name] != nil {
		go d.stop()
		return nil, fmt.Errorf("sim: device %s: sim closed or duplicate name", spec.Name)
	}
	s.devices = append(s.devices, d)
	s.byName[spec.Name] = d
	return d, nil
}

func (d *Device) initConfig() {
	data := d.templateData(d.spec.Username, nil)
	text := d.plat.render("initial_config", data)
	if d.plat.ConfigStyle == "junos" {
		d.running = parseSetConfig(text)
	} else {
		d.running = parseIOSConfig(text)
	}
}

// listen opens the next listener: a kernel-chosen port or the next free one from PortBase.
func (s *Sim) listen() (net.Listener, error) {
	if s.opts.PortBase == 0 {
		return net.Listen("tcp", net.JoinHostPort(s.opts.Host, "0"))
	}
	for tries := 0; tries < 1000; tries++ {
		s.mu.Lock()
		port := s.nextPort
		s.nextPort++
		s.mu.Unlock()
		if port > 65535 {
			break
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(s.opts.Host, strconv.Itoa(port)))
		if err == nil {
			return ln, nil
		}
	}
	return nil, fmt.Errorf("no free port from %d", s.opts.PortBase)
}

func (s *Sim) start(d *Device) error {
	if d.spec.SSH {
		ln, err := s.listen()
		if err != nil {
			return fmt.Errorf("ssh listener: %w", err)
		}
		d.listeners = append(d.listeners, ln)
		d.sshAddr = ln.Addr().String()
		s.goAccept(d, ln, false)
	}
	if d.spec.NETCONF {
		ln, err := s.listen()
		if err != nil {
			return fmt.Errorf("netconf listener: %w", err)
		}
		d.listeners = append(d.listeners, ln)
		d.ncAddr = ln.Addr().String()
		s.goAccept(d, ln, true)
	}
	if d.spec.HTTP {
		ln, err := s.listen()
		if err != nil {
			return fmt.Errorf("http listener: %w", err)
		}
		d.httpAddr = ln.Addr().String()
		s.goServeHTTP(d, ln, nil)
	}
	if d.spec.HTTPS {
		ln, err := s.listen()
		if err != nil {
			return fmt.Errorf("https listener: %w", err)
		}
		d.httpsAddr = ln.Addr().String()
		s.goServeHTTP(d, ln, s.tlsConf)
	}
	return nil
}

func (s *Sim) goServeHTTP(d *Device, ln net.Listener, tc *tls.Config) {
	srv := &http.Server{
		Handler:           d.httpHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Second,
		ErrorLog:          nil,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	srv.SetKeepAlivesEnabled(true)
	d.servers = append(d.servers, srv)
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	srv.ErrorLog = slogErrorLog(s.log)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("http serve", "device", d.spec.Name, "err", err)
		}
	}()
}

// stop closes the device's listeners, servers and connections.
func (d *Device) stop() {
	for _, ln := range d.listeners {
		ln.Close()
	}
	for _, srv := range d.servers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		cancel()
	}
	d.closeConns()
	d.closeBackend()
}

// Close stops every device, closes every connection and waits for all goroutines.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	devs := s.devices
	s.mu.Unlock()
	s.cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, d := range devs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.stop()
		}()
	}
	wg.Wait()
	s.wg.Wait()
	return nil
}

// sortedNames is used by the inventory and the summary.
func sortedNames(devs []*Device) []string {
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = d.spec.Name
	}
	sort.Strings(names)
	return names
}

// sleepCtx waits for d or until ctx is done; it reports whether the full time passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

var _ io.Closer = (*Sim)(nil)
