package sim

import (
	"context"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newTestSim starts a Sim with the given devices and closes it when the test ends.
func newTestSim(t *testing.T, specs ...DeviceSpec) *Sim {
	t.Helper()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, spec := range specs {
		if _, err := s.Add(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
