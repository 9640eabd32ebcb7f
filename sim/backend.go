package sim

import (
	"context"
	"errors"
	"io"
	"net/http"

	"golang.org/x/crypto/ssh"
)

// initBackend creates the NETCONF/RESTCONF datastore.
func (d *Device) initBackend() {}

// serveNETCONF runs one NETCONF session on an SSH channel.
func (d *Device) serveNETCONF(ctx context.Context, ch io.ReadWriteCloser, sc *ssh.ServerConn) error {
	return errors.New("netconf not available")
}

// restconfHandler returns the RESTCONF handler, or nil.
func (d *Device) restconfHandler() http.Handler { return nil }
