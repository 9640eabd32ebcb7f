package host_test

import (
	"testing"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
)

// BenchmarkResolve is the policy part of every Open: validation and the
// six-step resolution with its explanation.
func BenchmarkResolve(b *testing.B) {
	h, err := host.New(host.Config{PluginDirs: []string{testenv.PluginDir(b, "testplugin")}})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	dev := device("r1", nil)
	for b.Loop() {
		if _, err := h.Resolve(dev, testReq); err != nil {
			b.Fatal(err)
		}
	}
}
