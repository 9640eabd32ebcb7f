package main

import (
	"github.com/netyard/netyard/internal/testenv"

	"github.com/hashicorp/go-hclog"
)

func newLogger(w *testenv.LogBuffer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: w})
}
