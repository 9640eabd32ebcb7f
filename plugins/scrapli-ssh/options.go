package main

import (
	"os"
	"strconv"
	"time"

	"github.com/netyard/netyard/sdk"
)

// Device option keys this plugin accepts (sdk.Device.Options). Unknown keys
// are refused, so a typo does not silently fall back to a default.
const (
	// OptTransport is "standard" (default: Go SSH in the plugin, no ssh
	// binary needed) or "system" (the ssh binary on PATH, through a pty).
	OptTransport = "transport"
	// OptKnownHosts is a known_hosts file to check the device's host key against.
	OptKnownHosts = "known_hosts"
	// OptStrictHostKey is "true" or "false". Default: true when known_hosts
	// is set, false (any host key accepted) otherwise.
	OptStrictHostKey = "strict_host_key"
	// OptTimeoutSocket bounds the TCP connect and SSH handshake (Go
	// duration, default 10s).
	OptTimeoutSocket = "timeout_socket"
	// OptTimeoutOps bounds one device operation: connect's on-open
	// commands, one command, one configuration line (default 60s). The
	// caller's context deadline applies on top.
	OptTimeoutOps = "timeout_ops"
	// OptChannelLog is "true" to log everything read from and written to
	// the device at DEBUG on the host logger, secrets redacted.
	OptChannelLog = "channel_log"
)

// options is a device's parsed plugin options.
type options struct {
	transport     string
	knownHosts    string
	strictKey     bool
	timeoutSocket time.Duration
	timeoutOps    time.Duration
	channelLog    bool
}

const (
	defaultTimeoutSocket = 10 * time.Second
	defaultTimeoutOps    = 60 * time.Second
)

func parseOptions(dev sdk.Device) (options, error) {
	o := options{transport: "standard", timeoutSocket: defaultTimeoutSocket, timeoutOps: defaultTimeoutOps}
	bad := func(key, want, got string) error {
		return sdk.Errorf(sdk.KindValidation, "device %s: option %s: expected %s, got %q", dev.ID, key, want, got)
	}
	strictSet := false
	for k, v := range dev.Options {
		switch k {
		case OptTransport:
			if v != "standard" && v != "system" {
				return o, bad(k, `"standard" or "system"`, v)
			}
			o.transport = v
		case OptKnownHosts:
			if _, err := os.Stat(v); err != nil {
				return o, bad(k, "a readable known_hosts file", v)
			}
			o.knownHosts = v
		case OptStrictHostKey:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, bad(k, "true or false", v)
			}
			o.strictKey, strictSet = b, true
		case OptTimeoutSocket, OptTimeoutOps:
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return o, bad(k, "a positive duration such as 10s", v)
			}
			if k == OptTimeoutSocket {
				o.timeoutSocket = d
			} else {
				o.timeoutOps = d
			}
		case OptChannelLog:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, bad(k, "true or false", v)
			}
			o.channelLog = b
		default:
			return o, sdk.Errorf(sdk.KindValidation, "device %s: unknown option %q (known: %s, %s, %s, %s, %s, %s)",
				dev.ID, k, OptTransport, OptKnownHosts, OptStrictHostKey, OptTimeoutSocket, OptTimeoutOps, OptChannelLog)
		}
	}
	if !strictSet {
		o.strictKey = o.knownHosts != ""
	}
	if o.strictKey && o.knownHosts == "" {
		return o, sdk.Errorf(sdk.KindValidation, "device %s: option %s=true needs option %s", dev.ID, OptStrictHostKey, OptKnownHosts)
	}
	return o, nil
}
