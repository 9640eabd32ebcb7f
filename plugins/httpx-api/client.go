package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/netyard/netyard/sdk"
)

// client is one session's HTTP machinery: a transport of its own (so
// keep-alive connections and TLS settings never leak between devices), the
// auth state and the retry policy.
type client struct {
	dev       sdk.Device
	opts      options
	log       sdk.Logger
	base      string // scheme://host:port
	transport *http.Transport
	http      *http.Client

	mu    sync.Mutex
	token string // token auth; never logged
}

// exchange is one logical request; send may make several attempts of it.
type exchange struct {
	method      string
	url         string
	header      http.Header
	body        []byte
	retryUnsafe bool // retry a non-idempotent method too
	noAuth      bool // the login request itself
}

// result is the last attempt's response, with the totals of the exchange.
type result struct {
	status   int
	header   http.Header
	body     []byte
	attempts int
	elapsed  time.Duration
}

// errAuth is a 401 that survived the session's own credentials (and, with
// token auth, one fresh login).
var errAuth = errors.New("authentication failed")

// errTooLarge is a response body over the max_response option.
var errTooLarge = errors.New("response body too large")

func newClient(dev sdk.Device, opts options, log sdk.Logger) (*client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: opts.serverName}
	if opts.caFile != "" {
		pem, err := os.ReadFile(opts.caFile)
		if err != nil {
			return nil, sdk.Errorf(sdk.KindValidation, "device %s: option %s: %w", dev.ID, OptCAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, sdk.Errorf(sdk.KindValidation, "device %s: option %s: no PEM certificate in %s", dev.ID, OptCAFile, opts.caFile)
		}
		tc.RootCAs = pool
	}
	if opts.insecure {
		tc.InsecureSkipVerify = true
		log.Warn("TLS certificate verification is off for this device (option insecure)")
	}
	dialer := &net.Dialer{Timeout: opts.dialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil, // device management networks are reached directly, whatever the environment says
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   opts.dialTimeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          8,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &client{
		dev: dev, opts: opts, log: log, base: opts.scheme + "://" + opts.hostPort(dev), transport: tr,
		http: &http.Client{
			Transport: tr,
			// A redirect is a response for the caller to see: following it
			// could send the device's credentials to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

func (c *client) close() { c.transport.CloseIdleConnections() }

// idempotent methods may be retried without the caller's permission (RFC 9110 section 9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func retryStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// send runs ex with the session's auth: with token auth, a 401 logs in again
// once and repeats the request (a 401 means the device did not act on it, so
// this is safe for any method). A 401 that remains is errAuth unless auth is
// none, where it is just a response.
func (c *client) send(ctx context.Context, ex exchange) (result, error) {
	res, err := c.sendRetrying(ctx, ex)
	if err != nil || res.status != http.StatusUnauthorized || ex.noAuth || c.opts.auth == "none" {
		return res, err
	}
	if c.opts.auth == "token" {
		c.log.Debug("401 from the device; logging in again", "method", ex.method, "url", ex.url)
		if err := c.login(ctx); err != nil {
			return res, err
		}
		again, err := c.sendRetrying(ctx, ex)
		again.attempts += res.attempts
		again.elapsed += res.elapsed
		res = again
		if err != nil || res.status != http.StatusUnauthorized {
			return res, err
		}
	}
	return res, fmt.Errorf("%w: %s %s answered 401%s", errAuth, ex.method, ex.url, bodyHint(res.body))
}

// sendRetrying makes attempts of ex until a response that is not worth
// retrying, the retries option is spent, or the next wait would exceed
// retry_max_wait or the context's deadline: then the last response is the
// answer. Transport errors are not retried here: they come back at once,
// classified, and the worker decides.
func (c *client) sendRetrying(ctx context.Context, ex exchange) (result, error) {
	start := time.Now()
	mayRetry := idempotent(ex.method) || ex.retryUnsafe
	var res result
	for attempt := 1; ; attempt++ {
		r, err := c.once(ctx, ex)
		r.attempts = attempt
		r.elapsed = time.Since(start)
		if err != nil {
			return r, err
		}
		res = r
		if !mayRetry || !retryStatus(res.status) || attempt > c.opts.retries {
			return res, nil
		}
		wait, fromHeader := retryAfter(res.header, time.Now())
		if !fromHeader {
			wait = backoff(c.opts.retryBackoff, attempt)
		}
		if wait > c.opts.retryMaxWait {
			c.log.Debug("not retrying: the device asks for a longer wait than retry_max_wait", "status", res.status, "wait", wait)
			return res, nil
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			c.log.Debug("not retrying: the wait would pass the call's deadline", "status", res.status, "wait", wait)
			return res, nil
		}
		c.log.Debug("retrying", "method", ex.method, "url", ex.url, "status", res.status, "attempt", attempt, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, ctx.Err()
		case <-t.C:
		}
	}
}

// retryAfter reads Retry-After (delay-seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(n, 0)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff doubles base per attempt, with ±20% jitter so that many sessions
// hitting one busy device do not retry in step.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt-1, 20)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

// once makes one attempt.
func (c *client) once(ctx context.Context, ex exchange) (result, error) {
	req, err := http.NewRequestWithContext(ctx, ex.method, ex.url, bytes.NewReader(ex.body))
	if err != nil {
		return result{}, sdk.OperationError(false, err, "device %s: bad request %s %s", c.dev.ID, ex.method, ex.url)
	}
	if len(ex.body) == 0 {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	for k, vs := range ex.header {
		req.Header[k] = slices.Clone(vs)
	}
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h
		req.Header.Del("Host")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", defaultUserAgent)
	}
	if !ex.noAuth && req.Header.Get("Authorization") == "" {
		switch c.opts.auth {
		case "basic":
			req.SetBasicAuth(c.dev.Username, c.dev.Password)
		case "token":
			c.mu.Lock()
			tok := c.token
			c.mu.Unlock()
			req.Header.Set(c.opts.tokenHeader, c.opts.tokenPrefix+tok)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp, c.opts.maxResponse)
	if err != nil {
		return result{}, err
	}
	return result{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// readBody reads the whole body, at most max bytes, allocating once when the
// length is known (a doubling buffer would peak at twice a 64 MiB config).
func readBody(resp *http.Response, max int64) ([]byte, error) {
	if resp.Request.Method == http.MethodHead || resp.Body == http.NoBody {
		return nil, nil // Content-Length of a HEAD reply describes a GET's body
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: %d bytes announced, option %s allows %d", errTooLarge, resp.ContentLength, OptMaxResponse, max)
	}
	if resp.ContentLength >= 0 {
		buf := make([]byte, resp.ContentLength)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, fmt.Errorf("read response body: %w", err)
		}
		return buf, nil
	}
	var b bytes.Buffer
	n, err := b.ReadFrom(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	if n > max {
		return nil, fmt.Errorf("%w: more than %d bytes (option %s)", errTooLarge, max, OptMaxResponse)
	}
	return b.Bytes(), nil
}

// login fetches a token: POST login_path with the device's credentials as
// JSON, the token taken from token_field of the JSON reply.
func (c *client) login(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{"username": c.dev.Username, "password": c.dev.Password})
	ex := exchange{
		method: http.MethodPost, url: c.base + c.opts.loginPath, body: body, retryUnsafe: true, noAuth: true,
		header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}},
	}
	res, err := c.sendRetrying(ctx, ex)
	if err != nil {
		return c.creationErr(ctx, err, "login at %s", ex.url)
	}
	switch {
	case res.status == http.StatusUnauthorized || res.status == http.StatusForbidden:
		return sdk.CreationError(false, errAuth, "device %s: login at %s answered %d%s", c.dev.ID, ex.url, res.status, bodyHint(res.body))
	case retryStatus(res.status):
		return sdk.CreationError(true, nil, "device %s: login at %s answered %d after %d attempt(s)", c.dev.ID, ex.url, res.status, res.attempts)
	case res.status < 200 || res.status > 299:
		return sdk.CreationError(false, nil, "device %s: login at %s answered %d%s", c.dev.ID, ex.url, res.status, bodyHint(res.body))
	}
	tok, err := jsonField(res.body, c.opts.tokenField)
	if err != nil {
		return sdk.CreationError(false, nil, "device %s: login at %s: %v (option %s)", c.dev.ID, ex.url, err, OptTokenField)
	}
	c.mu.Lock()
	c.token = tok
	c.mu.Unlock()
	c.log.Debug("logged in", "url", ex.url)
	return nil
}

// jsonField returns the string at a dotted path of a JSON object.
func jsonField(body []byte, path string) (string, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("reply is not JSON: %v", err)
	}
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("reply has no field %q", path)
		}
		if v, ok = m[k]; !ok {
			return "", fmt.Errorf("reply has no field %q", path)
		}
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", fmt.Errorf("field %q of the reply is not a non-empty string", path)
	}
	return s, nil
}

// bodyHint quotes the start of an error body for a message.
func bodyHint(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return ": " + strings.Join(strings.Fields(s), " ")
}

// tlsVerifyError reports whether err is a failed certificate check, which
// retrying cannot fix.
func tlsVerifyError(err error) bool {
	var (
		verr *tls.CertificateVerificationError
		ua   x509.UnknownAuthorityError
		he   x509.HostnameError
		ci   x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// explain classifies a transport error: whether a retry may help, and a
// phrase for the message.
func explain(err error) (retryable bool, what string) {
	var (
		rec    tls.RecordHeaderError
		dnsErr *net.DNSError
		netErr net.Error
	)
	switch {
	case tlsVerifyError(err):
		return false, "TLS certificate verification failed (trust its CA with option ca_file)"
	case errors.As(err, &rec) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return false, "the device does not speak TLS on this port (option scheme http?)"
	case errors.Is(err, errTooLarge):
		return false, "response too large"
	case errors.Is(err, syscall.ECONNREFUSED):
		return true, "connection refused"
	case errors.As(err, &dnsErr):
		return dnsErr.IsTimeout || dnsErr.IsTemporary, "host name lookup failed"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return true, "timeout"
	case errors.Is(err, context.Canceled):
		return false, "cancelled"
	}
	return true, "transport error"
}

// creationErr turns a transport error while connecting into a Creation error.
func (c *client) creationErr(ctx context.Context, err error, format string, args ...any) error {
	var e *sdk.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, errAuth) {
		return sdk.CreationError(false, err, "device %s: %s", c.dev.ID, fmt.Sprintf(format, args...))
	}
	retryable, what := explain(err)
	if ctx.Err() != nil {
		retryable, what = errors.Is(ctx.Err(), context.DeadlineExceeded), "timeout"
	}
	return sdk.CreationError(retryable, err, "device %s: %s: %s", c.dev.ID, fmt.Sprintf(format, args...), what)
}

// operationErr turns an error of a call on a connected session into the SDK's
// kinds: auth and TLS failures are Creation errors (reconnecting with the
// same settings cannot help), the rest Operation errors.
func (c *client) operationErr(ctx context.Context, err error, format string, args ...any) error {
	var e *sdk.Error
	if errors.As(err, &e) {
		return err
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, errAuth) {
		return sdk.CreationError(false, err, "device %s: %s", c.dev.ID, what)
	}
	if tlsVerifyError(err) {
		return sdk.CreationError(false, err, "device %s: %s: TLS certificate verification failed", c.dev.ID, what)
	}
	retryable, why := explain(err)
	if ctx.Err() != nil {
		retryable, why = errors.Is(ctx.Err(), context.DeadlineExceeded), "deadline exceeded"
		if !retryable {
			why = "cancelled"
		}
	}
	return sdk.OperationError(retryable, err, "device %s: %s: %s", c.dev.ID, what, why)
}
