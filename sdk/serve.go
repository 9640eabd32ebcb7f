package sdk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Plugin is what a plugin binary hands to Serve.
type Plugin struct {
	// Description must agree with the binary's manifest; the host refuses a
	// binary that contradicts it.
	Description Description
	// Open creates a session for one device. It must not connect: the SDK
	// calls Session.Connect right after, unless the host deferred it.
	Open func(ctx context.Context, req OpenRequest) (Session, error)
	// Protocols lists the wire protocol versions served; empty means
	// ProtocolVersion. Only tests and transitional binaries set it.
	Protocols []int
	// Logger overrides the default JSON logger on stderr (tests only).
	Logger Logger
}

// TLSMaterial is what the host sends a plugin, per launch, on the inherited
// file descriptor named by EnvTLSFD: the host's CA and a server certificate
// issued for this launch. It never travels through the environment.
type TLSMaterial struct {
	CA   []byte `json:"ca"`   // PEM
	Cert []byte `json:"cert"` // PEM
	Key  []byte `json:"key"`  // PEM
}

// Serve runs the plugin until the host kills it or goes away; it does not
// return. Run a plugin binary by hand and it says it is meant to be started
// by the netyard host.
func Serve(p Plugin) {
	os.Exit(serve(p))
}

func serve(p Plugin) int {
	if p.Open == nil || p.Description.Name == "" {
		fmt.Fprintln(os.Stderr, "sdk.Serve: Plugin.Open and Plugin.Description.Name are required")
		return 1
	}
	if os.Getenv(Handshake.MagicCookieKey) != Handshake.MagicCookieValue {
		fmt.Fprintf(os.Stderr, "%s %s is a netyard connection plugin: it is started by the netyard host, not by hand.\n"+
			"Put it with its %s in a plugin directory and run `netyard plugins list`.\n", p.Description.Name, p.Description.Version, ManifestFile)
		return 1
	}
	red := newRedactor()
	log := p.Logger
	if log == nil {
		log = hclog.New(&hclog.LoggerOptions{
			Name:       p.Description.Name,
			Level:      hclog.LevelFromString(envOr(EnvLogLevel, "info")),
			Output:     red.writer(os.Stderr),
			JSONFormat: true,
		})
	}
	becomeSubreaper()
	// Once the host is gone, a write to its stderr pipe raises SIGPIPE, which
	// kills a Go program writing to fd 2 before watchHost can kill the
	// plugin's children. Received on a channel, it only fails the write.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)

	srv := newServer(p, log, red)
	var tlsProvider func() (*tls.Config, error)
	if fd := os.Getenv(EnvTLSFD); fd != "" {
		cfg, err := readTLS(fd)
		if err != nil {
			log.Error("cannot set up TLS from the host's material", "error", err)
			return 1
		}
		tlsProvider = func() (*tls.Config, error) { return cfg, nil }
	}

	protocols := p.Protocols
	if len(protocols) == 0 {
		protocols = []int{ProtocolVersion}
	}
	sets := map[int]plugin.PluginSet{}
	for _, v := range protocols {
		sets[v] = plugin.PluginSet{PluginSetName: &GRPCPlugin{Impl: srv}}
	}

	stop := make(chan struct{})
	defer close(stop)
	go watchHost(stop, log)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		select {
		case <-sig:
			log.Info("terminated; closing sessions")
			srv.closeAll()
			killChildren()
			os.Exit(0)
		case <-stop:
			signal.Stop(sig)
		}
	}()

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: sets,
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize))...)
		},
		TLSProvider: tlsProvider,
		Logger:      log,
	})
	srv.closeAll()
	killChildren()
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func readTLS(fdText string) (*tls.Config, error) {
	fd, err := strconv.Atoi(fdText)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q is not an inherited file descriptor", EnvTLSFD, fdText)
	}
	f := os.NewFile(uintptr(fd), "netyard-tls")
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read TLS material: %w", err)
	}
	var m TLSMaterial
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode TLS material: %w", err)
	}
	cert, err := tls.X509KeyPair(m.Cert, m.Key)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(m.CA) {
		return nil, errors.New("no CA certificate in TLS material")
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS13,
	}, nil
}

// watchHost exits the plugin when the host process is gone. go-plugin alone
// leaves plugins running when the host is SIGKILLed (they are reparented).
// On Linux it waits on a pidfd of the host, so an idle plugin does not wake
// up at all; elsewhere, or if that fails, it polls every 200 ms.
func watchHost(stop <-chan struct{}, log Logger) {
	hostPID, _ := strconv.Atoi(os.Getenv(EnvHostPID))
	parent := os.Getppid()
	gone := func() bool {
		return os.Getppid() != parent || hostPID > 0 && syscall.Kill(hostPID, 0) == syscall.ESRCH
	}
	exit := func() {
		killChildren()
		log.Warn("host process is gone; exiting")
		os.Exit(3)
	}
	pid := hostPID
	if pid <= 0 {
		pid = parent
	}
	if waitExit(pid, stop) {
		exit()
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if gone() {
			exit()
		}
	}
}
