package rfc6242_test

import (
	"bytes"
	"fmt"

	"github.com/netyard/netyard/internal/rfc6242"
)

// A session exchanges hellos in end-of-message framing, then both sides
// switch to what Negotiate picks.
func ExampleNegotiate() {
	var wire bytes.Buffer
	enc := rfc6242.NewEncoder(&wire)
	dec := rfc6242.NewDecoder(&wire)

	_ = enc.Encode([]byte(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>`))
	hello, _ := dec.Decode()
	fmt.Printf("%s\n", hello)

	f := rfc6242.Negotiate([]string{rfc6242.Base10, rfc6242.Base11}, []string{rfc6242.Base10, rfc6242.Base11})
	enc.SetFraming(f)
	dec.SetFraming(f)
	_ = enc.Encode([]byte(`<rpc message-id="1"/>`))
	fmt.Printf("%q\n", wire.String())
	msg, _ := dec.Decode()
	fmt.Printf("%v: %s\n", f, msg)
	// Output:
	// <hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>
	// "\n#21\n<rpc message-id=\"1\"/>\n##\n"
	// chunked: <rpc message-id="1"/>
}
