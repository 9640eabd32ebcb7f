// Command testplugin is the netyard test double: a real plugin binary with
// deterministic fake results and fault modes, used by the host's tests and
// by the SDK's own end-to-end test.
//
// Per-device faults come from the device option "fault" (see faults.go).
// Per-process faults happen before the handshake, so they are read from a
// file named testplugin.mode beside the binary, holding one word:
//
//	garbage-stdout       print junk on stdout before serving
//	slow-start=<d>       sleep d before serving
//	wrong-protocol       serve wire protocol 99 only
//	describe-mismatch    Describe contradicts the manifest (version, capabilities)
//	exit-at-start        exit 1 with a message on stderr
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/netyard/netyard/sdk"
)

// ModeFile is the per-process fault file, read from the binary's directory.
const ModeFile = "testplugin.mode"

// EchoCapability is the capability served through sdk.Invoker.
const EchoCapability = "echo"

func description() sdk.Description {
	return sdk.Description{
		Name:    "testplugin",
		Version: "0.1.0",
		Provides: []sdk.Provide{{
			Type:         "test",
			Library:      "fake",
			Platforms:    []string{"*"},
			Capabilities: append(slices.Clone(sdk.StandardCapabilities), EchoCapability),
		}},
	}
}

func main() {
	p := sdk.Plugin{
		Description: description(),
		Open: func(_ context.Context, req sdk.OpenRequest) (sdk.Session, error) {
			s, err := newSession(req)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}
	for _, mode := range readModes() {
		name, arg, _ := strings.Cut(mode, "=")
		switch name {
		case "garbage-stdout":
			fmt.Println("this is not a go-plugin handshake line")
		case "slow-start":
			d, err := time.ParseDuration(arg)
			if err != nil {
				fatalf("mode %q: %v", mode, err)
			}
			time.Sleep(d)
		case "wrong-protocol":
			p.Protocols = []int{99}
		case "describe-mismatch":
			p.Description.Version = "0.1.1"
			prov := &p.Description.Provides[0]
			prov.Capabilities = slices.DeleteFunc(prov.Capabilities, func(c string) bool { return c == sdk.CapRESTCONF })
		case "exit-at-start":
			fatalf("exit-at-start mode: refusing to start")
		default:
			fatalf("unknown mode %q in %s", mode, ModeFile)
		}
	}
	sdk.Serve(p)
}

func readModes() []string {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(exe), ModeFile))
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "testplugin: "+format+"\n", args...)
	os.Exit(1)
}
