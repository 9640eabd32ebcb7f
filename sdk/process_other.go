//go:build !linux

package sdk

func becomeSubreaper() {}

func killChildren() {}

func waitExit(int, <-chan struct{}) bool { return false }
