// Package rfc6242 implements NETCONF message framing over SSH (RFC 6242).
//
// NETCONF peers start a session with end-of-message framing (base:1.0: each
// message is followed by "]]>]]>") and, when both hellos advertise
// urn:ietf:params:netconf:base:1.1, switch to chunked framing (each message is
// a sequence of "\n#<len>\n<data>" chunks ended by "\n##\n") for every message
// after the hellos.
//
// A Decoder reads one message at a time from a stream and an Encoder writes
// one. Both start in EndOfMessage framing; call SetFraming(Chunked) on both
// once the hellos have been exchanged and Negotiate says so. The same types
// serve a NETCONF client and a server:
//
//	dec := rfc6242.NewDecoder(ch)
//	enc := rfc6242.NewEncoder(ch)
//	_ = enc.Encode(myHello)
//	peerHello, _ := dec.Decode()
//	f := rfc6242.Negotiate(myCaps, peerCaps)
//	dec.SetFraming(f)
//	enc.SetFraming(f)
//
// Decoding is a single pass over the input: the decoder never rescans data it
// has already looked at, so a 64 MiB message costs the same per byte as a
// small one. A maximum message size (DefaultMaxMessageSize unless changed)
// protects a peer from unbounded memory use; a message over the limit yields
// ErrMessageTooLarge and is skipped, so the stream stays usable.
package rfc6242

import (
	"errors"
	"fmt"
	"slices"
)

// Framing selects how messages are delimited on the wire.
type Framing int

const (
	// EndOfMessage is base:1.0 framing: each message is followed by "]]>]]>".
	// Every session starts with it (the hellos always use it).
	EndOfMessage Framing = iota
	// Chunked is base:1.1 chunked framing (RFC 6242 section 4.2).
	Chunked
)

// String returns "end-of-message" or "chunked".
func (f Framing) String() string {
	switch f {
	case EndOfMessage:
		return "end-of-message"
	case Chunked:
		return "chunked"
	default:
		return fmt.Sprintf("framing(%d)", int(f))
	}
}

// Capability URIs of the two base protocol versions.
const (
	Base10 = "urn:ietf:params:netconf:base:1.0"
	Base11 = "urn:ietf:params:netconf:base:1.1"
)

// Negotiate returns the framing to use after the hellos: Chunked when both
// sides advertise base:1.1, EndOfMessage otherwise (RFC 6242 section 4.1).
func Negotiate(local, peer []string) Framing {
	if slices.Contains(local, Base11) && slices.Contains(peer, Base11) {
		return Chunked
	}
	return EndOfMessage
}

// EOMDelimiter is the end-of-message marker of base:1.0 framing.
const EOMDelimiter = "]]>]]>"

// MaxChunkSize is the largest chunk RFC 6242 allows.
const MaxChunkSize = 4294967295

// DefaultMaxMessageSize is the message size limit of a new Decoder.
const DefaultMaxMessageSize = 256 << 20

// ErrMessageTooLarge is returned (wrapped, test with errors.Is) by
// Decoder.Decode when a message exceeds the decoder's maximum size. The
// decoder has skipped the rest of that message, so the next Decode reads the
// message after it.
var ErrMessageTooLarge = errors.New("rfc6242: message too large")

// ErrEmptyMessage is returned by Encoder.Encode for an empty message in
// chunked framing, which cannot represent one.
var ErrEmptyMessage = errors.New("rfc6242: chunked framing cannot carry an empty message")

// ErrDelimiterInMessage is returned by Encoder.Encode when a message to be
// sent with end-of-message framing contains "]]>]]>", which would end it early.
var ErrDelimiterInMessage = errors.New("rfc6242: message contains the end-of-message delimiter")

// SyntaxError reports input that violates chunked framing. The stream cannot
// be resynchronised after one; the session should be closed.
type SyntaxError struct {
	// Offset is the number of bytes the decoder had consumed from the stream
	// when it met the error.
	Offset int64
	// Msg says what was wrong.
	Msg string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("rfc6242: invalid chunked framing at byte %d: %s", e.Offset, e.Msg)
}
