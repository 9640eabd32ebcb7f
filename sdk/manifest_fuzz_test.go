package sdk_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/netyard/netyard/sdk"
)

// FuzzParseManifest feeds arbitrary bytes to the manifest parser. It must
// never panic; a manifest it accepts validates, keeps its command inside the
// manifest's directory and survives a YAML round trip unchanged; a manifest
// it refuses is explained by ManifestErrors naming the file, the field and
// what was expected. Seeds: the committed corpus in
// testdata/fuzz/FuzzParseManifest (run by every `go test`) plus the ones
// below; `go test -run '^$' -fuzz FuzzParseManifest -fuzztime 30s ./sdk`
// explores further.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(goodManifest))
	f.Add([]byte(""))
	f.Add([]byte("schema: netyard.plugin/v1\nname: x\nversion: 0.1.0\nprotocol: [1]\ncommand: ../../bin/sh\nprovides: []\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Add([]byte("schema: netyard.plugin/v1\nname: x\nversion: 0.1.0\nprotocol: [1]\ncommand: x\nprovides:\n  - {type: ssh, library: l, platforms: ['*'], capabilities: [cli]}\nsessions: {idle_timeout: -5m, per_process: -1}\n"))
	f.Add([]byte("command: \"x/../../y\"\n"))
	f.Add([]byte("{\"schema\": \"netyard.plugin/v1\", \"name\": \"j\", \"command\": \"./j\", \"bogus\": 1}"))
	const path = "/plugins/p/netyard-plugin.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := sdk.ParseManifest(path, data)
		if err != nil {
			var me *sdk.ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error is not a ManifestError: %T %v", err, err)
			}
			var all sdk.ManifestErrors
			if !errors.As(err, &all) || len(all) == 0 {
				t.Fatalf("error is not ManifestErrors: %T %v", err, err)
			}
			for _, e := range all {
				if e.File != path || e.Field == "" || e.Expected == "" {
					t.Fatalf("problem without file, field or expectation: %+v", e)
				}
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("message does not name the file: %v", err)
			}
			return
		}
		if errs := m.Validate(); len(errs) > 0 {
			t.Fatalf("accepted a manifest that does not validate: %v", errs)
		}
		rel, rerr := filepath.Rel(filepath.Dir(path), m.CommandPath())
		if rerr != nil || !filepath.IsLocal(rel) {
			t.Fatalf("accepted command %q resolving to %s, outside %s", m.Command, m.CommandPath(), filepath.Dir(path))
		}
		out, merr := yaml.Marshal(m)
		if merr != nil {
			t.Fatalf("marshal accepted manifest: %v", merr)
		}
		m2, err := sdk.ParseManifest(path, out)
		if err != nil {
			t.Fatalf("accepted manifest does not parse after a round trip: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the manifest:\n%+v\n%+v", m, m2)
		}
	})
}
