package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/netyard/netyard/internal/rfc6242"
	"github.com/netyard/netyard/sdk"
)

// DefaultPort is the IANA port of NETCONF over SSH (RFC 6242).
const DefaultPort = 830

// Device option keys (sdk.Device.Options). docs/plugins/netconf.md is the
// user-facing reference; keep the two in step.
const (
	OptConnectTimeout  = "connect_timeout"      // TCP + SSH + hello exchange, default 15s
	OptRPCTimeout      = "rpc_timeout"          // per RPC when the caller's context has no earlier deadline, default 60s
	OptMaxReplySize    = "max_reply_size"       // largest rpc-reply accepted, bytes (K/M/G/KiB/MiB/GiB suffixes), default 256MiB
	OptKnownHosts      = "known_hosts"          // OpenSSH known_hosts file checked strictly
	OptInsecureHostKey = "insecure_skip_verify" // "true": accept any host key (lab use)
	OptBase            = "base"                 // "1.1" (default: advertise 1.0 and 1.1) or "1.0" (end-of-message framing only)
	OptHelloDelay      = "hello_delay"          // least time between the client hello and the first RPC, default 10ms
)

// options are the parsed device options.
type options struct {
	connectTimeout time.Duration
	rpcTimeout     time.Duration
	maxReply       int
	knownHosts     string
	insecure       bool
	base10Only     bool
	helloDelay     time.Duration
}

var knownOptions = map[string]bool{OptConnectTimeout: true, OptRPCTimeout: true, OptMaxReplySize: true,
	OptKnownHosts: true, OptInsecureHostKey: true, OptBase: true, OptHelloDelay: true}

// parseOptions reads the device options; unknown keys and bad values are a
// validation error listing every problem.
func parseOptions(m map[string]string) (options, error) {
	o := options{
		connectTimeout: 15 * time.Second,
		rpcTimeout:     60 * time.Second,
		maxReply:       rfc6242.DefaultMaxMessageSize,
		helloDelay:     10 * time.Millisecond,
	}
	var problems []string
	dur := func(key string, dst *time.Duration) {
		v, ok := m[key]
		if !ok {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			problems = append(problems, fmt.Sprintf("%s: a duration such as 30s, got %q", key, v))
			return
		}
		*dst = d
	}
	dur(OptConnectTimeout, &o.connectTimeout)
	dur(OptRPCTimeout, &o.rpcTimeout)
	dur(OptHelloDelay, &o.helloDelay)
	if v, ok := m[OptMaxReplySize]; ok {
		n, err := parseSize(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", OptMaxReplySize, err))
		}
		o.maxReply = n
	}
	if v, ok := m[OptKnownHosts]; ok {
		o.knownHosts = expandHome(v)
	}
	if v, ok := m[OptInsecureHostKey]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: true or false, got %q", OptInsecureHostKey, v))
		}
		o.insecure = b
	}
	switch v := m[OptBase]; v {
	case "", "1.1", "auto":
	case "1.0":
		o.base10Only = true
	default:
		problems = append(problems, fmt.Sprintf("%s: 1.0 or 1.1, got %q", OptBase, v))
	}
	var unknown []string
	for k := range m {
		if !knownOptions[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		problems = append(problems, fmt.Sprintf("unknown option %q", k))
	}
	if len(problems) > 0 {
		return o, &sdk.Error{Kind: sdk.KindValidation, Message: "netconf options: " + strings.Join(problems, "; ")}
	}
	return o, nil
}

// parseSize reads a byte count such as 1048576, 64MiB, 10M or 1G (K, M and G
// are powers of 1024, as are KiB, MiB and GiB). 0 means no limit.
func parseSize(s string) (int, error) {
	t := strings.TrimSpace(s)
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("a size in bytes such as 268435456 or 256MiB, got %q", s)
	}
	return n * mult, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
