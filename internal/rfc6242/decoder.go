package rfc6242

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
)

// readBufferSize is the size of the decoder's bufio.Reader; large enough that
// a fast stream is consumed in few reads, small enough to be cheap per session.
const readBufferSize = 64 << 10

// growStep bounds how much the decoder allocates ahead of data that has
// actually arrived, so a chunk header claiming 4 GB costs nothing until the
// bytes come.
const growStep = 4 << 20

// Decoder reads NETCONF messages from a stream. It is not safe for concurrent
// use; a session has one reader.
type Decoder struct {
	r       *bufio.Reader
	framing Framing
	max     int
	buf     []byte
	offset  int64

	// per-message state
	size     int64
	tooLarge bool
}

// NewDecoder returns a decoder reading from r in EndOfMessage framing with
// the DefaultMaxMessageSize limit. It buffers r; a caller switching framing
// must keep using the same Decoder.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, readBufferSize), max: DefaultMaxMessageSize}
}

// SetFraming switches the framing used by the next Decode.
func (d *Decoder) SetFraming(f Framing) { d.framing = f }

// Framing returns the current framing.
func (d *Decoder) Framing() Framing { return d.framing }

// SetMaxMessageSize sets the largest message Decode returns; n <= 0 removes
// the limit.
func (d *Decoder) SetMaxMessageSize(n int) { d.max = n }

// Decode reads the next message and returns its content without framing.
//
// The returned slice is reused by the next call to Decode: copy it to keep
// it. At the end of the stream Decode returns io.EOF if nothing but
// whitespace was pending, io.ErrUnexpectedEOF if a message was cut short.
// A message over the size limit yields an error wrapping ErrMessageTooLarge
// and the decoder moves past it. Broken chunked framing yields a
// *SyntaxError.
func (d *Decoder) Decode() ([]byte, error) {
	d.buf = d.buf[:0]
	d.size = 0
	d.tooLarge = false
	var err error
	if d.framing == Chunked {
		err = d.decodeChunked()
	} else {
		err = d.decodeEOM()
	}
	if err != nil {
		return nil, err
	}
	if d.tooLarge {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, d.size, d.max)
	}
	return d.buf, nil
}

// add appends message bytes, or only counts them once over the limit.
func (d *Decoder) add(p []byte) {
	d.size += int64(len(p))
	if d.max > 0 && d.size > int64(d.max) {
		d.tooLarge = true
		d.buf = d.buf[:0]
	}
	if !d.tooLarge {
		d.buf = append(d.buf, p...)
	}
}

func (d *Decoder) discard(n int) {
	m, _ := d.r.Discard(n)
	d.offset += int64(m)
}

// decodeEOM scans the buffered window for the delimiter with bytes.Index and
// hands everything but the last len(delimiter)-1 bytes to the message, so a
// delimiter split across reads is still found and no byte is scanned more
// than twice.
func (d *Decoder) decodeEOM() error {
	const dl = len(EOMDelimiter)
	delim := []byte(EOMDelimiter)
	for {
		if d.r.Buffered() < dl {
			if _, err := d.r.Peek(dl); err != nil {
				rest, _ := d.r.Peek(d.r.Buffered())
				if errors.Is(err, io.EOF) {
					if !d.tooLarge && isSpace(d.buf) && isSpace(rest) {
						d.discard(len(rest))
						return io.EOF
					}
					d.discard(len(rest))
					return io.ErrUnexpectedEOF
				}
				return err
			}
		}
		b, _ := d.r.Peek(d.r.Buffered())
		if i := bytes.Index(b, delim); i >= 0 {
			d.add(b[:i])
			d.discard(i + dl)
			return nil
		}
		keep := len(b) - (dl - 1)
		d.add(b[:keep])
		d.discard(keep)
	}
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func (d *Decoder) readByte() (byte, error) {
	c, err := d.r.ReadByte()
	if err == nil {
		d.offset++
	}
	return c, err
}

func (d *Decoder) syntax(format string, args ...any) error {
	return &SyntaxError{Offset: d.offset, Msg: fmt.Sprintf(format, args...)}
}

// unexpected turns io.EOF in the middle of a message into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decodeChunked reads "\n#len\n" headers and copies chunk data straight into
// the message buffer. Whitespace before the first chunk header is skipped:
// it absorbs the "\n" that ends the previous message's end-of-chunks marker
// (consumed lazily, so a message is returned as soon as its "\n##" arrives)
// and peers that omit it.
func (d *Decoder) decodeChunked() error {
	for {
		c, err := d.readByte()
		if err != nil {
			return err // io.EOF between messages is a clean end
		}
		if c == '#' {
			break
		}
		if c != '\n' && c != '\r' && c != ' ' && c != '\t' {
			return d.syntax("expected chunk header, got %q", c)
		}
	}
	first := true
	for {
		// The '#' of a chunk header or of the end-of-chunks marker is consumed.
		c, err := d.readByte()
		if err != nil {
			return unexpected(err)
		}
		if c == '#' {
			if first {
				return d.syntax("end-of-chunks marker before any chunk")
			}
			return nil
		}
		if c < '1' || c > '9' {
			return d.syntax("invalid chunk size start %q", c)
		}
		size := int64(c - '0')
		for digits := 1; ; digits++ {
			c, err = d.readByte()
			if err != nil {
				return unexpected(err)
			}
			if c == '\n' {
				break
			}
			if c < '0' || c > '9' || digits == 10 {
				return d.syntax("invalid chunk size")
			}
			size = size*10 + int64(c-'0')
		}
		if size > MaxChunkSize {
			return d.syntax("chunk size %d exceeds %d", size, int64(MaxChunkSize))
		}
		if err := d.readChunk(size); err != nil {
			return err
		}
		first = false
		if c, err = d.readByte(); err != nil {
			return unexpected(err)
		}
		if c != '\n' {
			return d.syntax("expected newline after chunk data, got %q", c)
		}
		if c, err = d.readByte(); err != nil {
			return unexpected(err)
		}
		if c != '#' {
			return d.syntax("expected '#' after chunk data, got %q", c)
		}
	}
}

func (d *Decoder) readChunk(size int64) error {
	d.size += size
	if d.tooLarge || (d.max > 0 && d.size > int64(d.max)) {
		d.tooLarge = true
		d.buf = d.buf[:0]
		for size > 0 {
			step := int(min(size, 1<<30))
			m, err := d.r.Discard(step)
			d.offset += int64(m)
			if err != nil {
				return unexpected(err)
			}
			size -= int64(step)
		}
		return nil
	}
	for size > 0 {
		step := int(min(size, growStep))
		n := len(d.buf)
		d.buf = slices.Grow(d.buf, step)[:n+step]
		m, err := io.ReadFull(d.r, d.buf[n:])
		d.offset += int64(m)
		if err != nil {
			d.buf = d.buf[:n+m]
			return unexpected(err)
		}
		size -= int64(step)
	}
	return nil
}
