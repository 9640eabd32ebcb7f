package main

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netyard/netyard/sdk"
)

// Device option keys (sdk.Device.Options). Every key is optional; see
// docs/plugins/httpx-api.md for the flows they control.
const (
	OptScheme        = "scheme"          // https (default) | http
	OptBasePath      = "base_path"       // prefix of every api path, e.g. /api/v1 (default none)
	OptAuth          = "auth"            // basic (default) | token | none
	OptLoginPath     = "login_path"      // token auth: POST here with {"username","password"} (default /api/v1/login)
	OptTokenField    = "token_field"     // token auth: JSON field of the login reply, dotted for nesting (default token)
	OptTokenHeader   = "token_header"    // token auth: header carrying the token (default Authorization)
	OptTokenPrefix   = "token_prefix"    // token auth: text before the token (default "Bearer ")
	OptCAFile        = "ca_file"         // PEM file of CA certificates to trust instead of the system pool
	OptInsecure      = "insecure"        // true: skip TLS verification (never the default)
	OptServerName    = "tls_server_name" // name to verify the certificate against (default: host)
	OptRetries       = "retries"         // retries after the first attempt (default 2, at most 10)
	OptRetryBackoff  = "retry_backoff"   // first backoff without Retry-After, doubled each time (default 200ms)
	OptRetryMaxWait  = "retry_max_wait"  // longest wait honoured, Retry-After included (default 10s)
	OptDialTimeout   = "dial_timeout"    // TCP connect and TLS handshake bound (default 10s)
	OptMaxResponse   = "max_response"    // largest response body in bytes (default 256 MiB)
	OptProbePath     = "probe_path"      // api: path requested by Connect (default /)
	OptInfoPath      = "info_path"       // api: JSON document read by device_info (default /api/v1/system)
	OptRestconfRoot  = "restconf_root"   // restconf: API root, skipping /.well-known/host-meta discovery
	OptDefaultAccept = "accept"          // api: Accept header when the request has none (default application/json)
)

// Limits on options, so that a typo cannot make a call wait for hours.
const (
	maxRetries       = 10
	defaultMaxBody   = 256 << 20
	hardMaxBody      = sdk.MaxMessageSize - 1<<20 // the reply must still fit one gRPC message
	defaultUserAgent = "netyard-httpx-api/0.1.0"
)

// options are a device's parsed options.
type options struct {
	scheme       string
	basePath     string
	auth         string
	loginPath    string
	tokenField   string
	tokenHeader  string
	tokenPrefix  string
	caFile       string
	insecure     bool
	serverName   string
	retries      int
	retryBackoff time.Duration
	retryMaxWait time.Duration
	dialTimeout  time.Duration
	maxResponse  int64
	probePath    string
	infoPath     string
	restconfRoot string
	accept       string
}

var knownOptions = []string{
	OptScheme, OptBasePath, OptAuth, OptLoginPath, OptTokenField, OptTokenHeader, OptTokenPrefix,
	OptCAFile, OptInsecure, OptServerName, OptRetries, OptRetryBackoff, OptRetryMaxWait, OptDialTimeout,
	OptMaxResponse, OptProbePath, OptInfoPath, OptRestconfRoot, OptDefaultAccept,
}

// parseOptions validates every option at once, so that a device record is
// fixed in one go. Unknown keys are returned, not refused: one device record
// may carry options for several plugins, but a misspelt "ca_file" deserves a
// warning in the log.
func parseOptions(dev sdk.Device) (o options, unknown []string, err error) {
	o = options{
		scheme: "https", auth: "basic", loginPath: "/api/v1/login", tokenField: "token",
		tokenHeader: "Authorization", tokenPrefix: "Bearer ", retries: 2,
		retryBackoff: 200 * time.Millisecond, retryMaxWait: 10 * time.Second, dialTimeout: 10 * time.Second,
		maxResponse: defaultMaxBody, probePath: "/", infoPath: "/api/v1/system", accept: "application/json",
	}
	var bad []string
	fail := func(key, format string, args ...any) {
		bad = append(bad, fmt.Sprintf("option %s %s", key, fmt.Sprintf(format, args...)))
	}
	get := func(key string) (string, bool) {
		v, ok := dev.Options[key]
		return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
	}
	duration := func(key string, dst *time.Duration, max time.Duration) {
		if v, ok := get(key); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > max {
				fail(key, "must be a duration between 0s and %s, got %q", max, v)
				return
			}
			*dst = d
		}
	}
	path := func(key string, dst *string) {
		if v, ok := get(key); ok {
			if !strings.HasPrefix(v, "/") || strings.Contains(v, "://") {
				fail(key, "must be a path starting with /, got %q", v)
				return
			}
			*dst = v
		}
	}

	for k := range dev.Options {
		if !slices.Contains(knownOptions, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	if v, ok := get(OptScheme); ok {
		v = strings.ToLower(v)
		if v != "http" && v != "https" {
			fail(OptScheme, "must be http or https, got %q", v)
		}
		o.scheme = v
	}
	path(OptBasePath, &o.basePath)
	o.basePath = strings.TrimRight(o.basePath, "/")
	if v, ok := get(OptAuth); ok {
		v = strings.ToLower(v)
		if v != "basic" && v != "token" && v != "none" {
			fail(OptAuth, "must be basic, token or none, got %q", v)
		}
		o.auth = v
	}
	path(OptLoginPath, &o.loginPath)
	if v, ok := get(OptTokenField); ok {
		o.tokenField = v
	}
	if v, ok := get(OptTokenHeader); ok {
		o.tokenHeader = v
	}
	if v, ok := dev.Options[OptTokenPrefix]; ok {
		o.tokenPrefix = v // may be empty on purpose: a bare token
	}
	if v, ok := get(OptCAFile); ok {
		if _, err := os.Stat(v); err != nil {
			fail(OptCAFile, "cannot be read: %v", err)
		}
		o.caFile = v
	}
	if v, ok := get(OptInsecure); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail(OptInsecure, "must be true or false, got %q", v)
		}
		o.insecure = b
	}
	if v, ok := get(OptServerName); ok {
		o.serverName = v
	}
	if v, ok := get(OptRetries); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxRetries {
			fail(OptRetries, "must be a number from 0 to %d, got %q", maxRetries, v)
		}
		o.retries = n
	}
	duration(OptRetryBackoff, &o.retryBackoff, time.Minute)
	duration(OptRetryMaxWait, &o.retryMaxWait, 10*time.Minute)
	duration(OptDialTimeout, &o.dialTimeout, 10*time.Minute)
	if v, ok := get(OptMaxResponse); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > hardMaxBody {
			fail(OptMaxResponse, "must be a number of bytes from 1 to %d, got %q", hardMaxBody, v)
		}
		o.maxResponse = n
	}
	path(OptProbePath, &o.probePath)
	path(OptInfoPath, &o.infoPath)
	path(OptRestconfRoot, &o.restconfRoot)
	o.restconfRoot = strings.TrimRight(o.restconfRoot, "/")
	if v, ok := get(OptDefaultAccept); ok {
		o.accept = v
	}
	if o.insecure && o.caFile != "" {
		fail(OptInsecure, "and %s contradict each other: pick one", OptCAFile)
	}
	if o.scheme == "http" && (o.insecure || o.caFile != "" || o.serverName != "") {
		fail(OptScheme, "is http: TLS options (%s, %s, %s) do not apply", OptInsecure, OptCAFile, OptServerName)
	}
	if dev.Host == "" {
		bad = append(bad, "host is required")
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return o, unknown, sdk.Errorf(sdk.KindValidation, "device %s: %s", dev.ID, strings.Join(bad, "; "))
	}
	return o, unknown, nil
}

// hostPort is the device's authority part, with the scheme's default port.
func (o options) hostPort(dev sdk.Device) string {
	port := dev.Port
	if port == 0 {
		port = 443
		if o.scheme == "http" {
			port = 80
		}
	}
	return net.JoinHostPort(dev.Host, strconv.Itoa(port))
}
