// Command netyard runs actions on network devices through connection
// plugins (run), simulates devices (sim, demo), and inspects and checks a
// plugin installation (plugins list|lock|verify, resolve).
//
// Exit codes: 0 success, 1 failure (a host or a demo step failed, a plugin
// failed verification, a file could not be written), 2 usage or
// configuration error (bad flags, an inventory or request that does not
// resolve).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI with args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "netyard:", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors: unknown command, bad arguments, missing flags.
	fmt.Fprintln(stderr, "netyard:", err)
	fmt.Fprintln(stderr, "Run 'netyard --help' for usage.")
	return exitUsage
}

// exitError carries an exit code out of a command. A nil err means the
// command already said what went wrong.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func failure(err error) error { return &exitError{code: exitFailure, err: err} }
func usage(err error) error   { return &exitError{code: exitUsage, err: err} }

// silent is an exit code whose reason was already printed.
func silent(code int) error { return &exitError{code: code} }
