package rfc6242

import (
	"bytes"
	"errors"
	"io"
	"strconv"
)

// smallMessage is the size up to which Encode copies framing and message
// into one buffer so the message leaves in a single Write (one SSH packet
// for typical RPCs); larger messages are written in place.
const smallMessage = 32 << 10

// Encoder writes NETCONF messages to a stream. It is not safe for concurrent
// use; a session serialises its writes.
type Encoder struct {
	w        io.Writer
	framing  Framing
	maxChunk int
	scratch  []byte
}

// NewEncoder returns an encoder writing to w in EndOfMessage framing.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: w}
}

// SetFraming switches the framing used by the next message.
func (e *Encoder) SetFraming(f Framing) { e.framing = f }

// Framing returns the current framing.
func (e *Encoder) Framing() Framing { return e.framing }

// SetMaxChunkSize caps the size of the chunks written in chunked framing;
// n <= 0 (the default) means one chunk per Write, up to MaxChunkSize. Small
// chunks exercise a peer's reassembly; they cost throughput.
func (e *Encoder) SetMaxChunkSize(n int) { e.maxChunk = n }

// Encode writes msg as one framed message.
//
// In end-of-message framing a msg that is not EOMSafe is refused with
// ErrDelimiterInMessage; in chunked framing an empty msg is refused with
// ErrEmptyMessage.
func (e *Encoder) Encode(msg []byte) error {
	if e.framing == Chunked {
		if len(msg) == 0 {
			return ErrEmptyMessage
		}
		if len(msg) <= smallMessage {
			b := e.scratch[:0]
			b = e.appendChunks(b, msg)
			b = append(b, "\n##\n"...)
			e.scratch = b
			_, err := e.w.Write(b)
			return err
		}
		if err := e.writeChunks(msg); err != nil {
			return err
		}
		_, err := io.WriteString(e.w, "\n##\n")
		return err
	}
	if !EOMSafe(msg) {
		return ErrDelimiterInMessage
	}
	if len(msg) <= smallMessage {
		b := append(append(e.scratch[:0], msg...), EOMDelimiter...)
		e.scratch = b
		_, err := e.w.Write(b)
		return err
	}
	if _, err := e.w.Write(msg); err != nil {
		return err
	}
	_, err := io.WriteString(e.w, EOMDelimiter)
	return err
}

func (e *Encoder) chunkLimit() int {
	if e.maxChunk > 0 && e.maxChunk < MaxChunkSize {
		return e.maxChunk
	}
	return MaxChunkSize
}

func appendHeader(b []byte, n int) []byte {
	b = append(b, '\n', '#')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\n')
}

func (e *Encoder) appendChunks(b, p []byte) []byte {
	limit := e.chunkLimit()
	for len(p) > 0 {
		n := min(len(p), limit)
		b = appendHeader(b, n)
		b = append(b, p[:n]...)
		p = p[n:]
	}
	return b
}

func (e *Encoder) writeChunks(p []byte) error {
	limit := e.chunkLimit()
	var hdr [16]byte
	for len(p) > 0 {
		n := min(len(p), limit)
		if _, err := e.w.Write(appendHeader(hdr[:0], n)); err != nil {
			return err
		}
		if _, err := e.w.Write(p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// EOMSafe reports whether msg survives end-of-message framing: it must not
// contain "]]>]]>" nor end with a prefix of it that, with the delimiter
// appended, would form one early (a message ending in "]]>").
func EOMSafe(msg []byte) bool {
	if bytes.Contains(msg, []byte(EOMDelimiter)) {
		return false
	}
	tail := msg[max(0, len(msg)-(len(EOMDelimiter)-1)):]
	joined := append(append(make([]byte, 0, 16), tail...), EOMDelimiter...)
	return bytes.Index(joined, []byte(EOMDelimiter)) == len(tail)
}

// MessageWriter starts a message written piecewise, for replies too large to
// build in memory first. Each Write becomes one or more chunks in chunked
// framing (wrap the writer in a bufio.Writer to avoid tiny chunks) and is
// passed through in end-of-message framing, where the content is not checked
// for the delimiter. Close ends the message; it does not close the stream.
// No other message may be written until Close.
func (e *Encoder) MessageWriter() io.WriteCloser {
	return &messageWriter{e: e}
}

type messageWriter struct {
	e      *Encoder
	n      int64
	closed bool
}

var errWriterClosed = errors.New("rfc6242: write to closed message writer")

func (m *messageWriter) Write(p []byte) (int, error) {
	if m.closed {
		return 0, errWriterClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if m.e.framing == Chunked {
		if err := m.e.writeChunks(p); err != nil {
			return 0, err
		}
	} else if _, err := m.e.w.Write(p); err != nil {
		return 0, err
	}
	m.n += int64(len(p))
	return len(p), nil
}

func (m *messageWriter) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	if m.e.framing == Chunked {
		if m.n == 0 {
			return ErrEmptyMessage
		}
		_, err := io.WriteString(m.e.w, "\n##\n")
		return err
	}
	_, err := io.WriteString(m.e.w, EOMDelimiter)
	return err
}
