package rfc6242

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzDecodeChunked feeds arbitrary bytes to a chunked decoder: it must never
// panic, never return more than the limit and always terminate.
func FuzzDecodeChunked(f *testing.F) {
	f.Add([]byte("\n#4\n<a/>\n##\n"))
	f.Add([]byte("\n#2\n<a\n#2\n/>\n##\n#1\nb\n##"))
	f.Add([]byte("\n#4294967295\nabc"))
	f.Add([]byte("\n##\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, Chunked, data)
	})
}

// FuzzDecodeEOM is FuzzDecodeChunked for end-of-message framing.
func FuzzDecodeEOM(f *testing.F) {
	f.Add([]byte("<hello/>]]>]]><rpc/>]]>]]>"))
	f.Add([]byte("]]]]>]]>]]>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, EndOfMessage, data)
	})
}

func fuzzDecode(t *testing.T, f Framing, data []byte) {
	d := NewDecoder(bytes.NewReader(data))
	d.SetFraming(f)
	d.SetMaxMessageSize(64)
	for i := 0; ; i++ {
		if i > len(data)+1 {
			t.Fatalf("more messages than input bytes")
		}
		m, err := d.Decode()
		if err != nil {
			var se *SyntaxError
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &se) {
				return
			}
			if errors.Is(err, ErrMessageTooLarge) {
				continue
			}
			t.Fatalf("unexpected error %v", err)
		}
		if len(m) > 64 {
			t.Fatalf("message of %d bytes over the limit", len(m))
		}
	}
}

// FuzzRoundTrip checks encode then decode returns the messages, in both
// framings, with arbitrary chunk sizes and reads of one byte at a time.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("<rpc message-id=\"1\"><get/></rpc>"), []byte("]]>"), uint8(0), uint8(3))
	f.Add([]byte("\n##\n"), []byte("#1\n"), uint8(1), uint8(1))
	f.Add([]byte(""), []byte("x"), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, a, b []byte, framing, chunk uint8) {
		fr := Framing(framing % 2)
		msgs := [][]byte{a, b}
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		e.SetFraming(fr)
		e.SetMaxChunkSize(int(chunk))
		var sent [][]byte
		for _, m := range msgs {
			err := e.Encode(m)
			switch {
			case fr == Chunked && len(m) == 0:
				if !errors.Is(err, ErrEmptyMessage) {
					t.Fatalf("empty chunked message: %v", err)
				}
			case fr == EndOfMessage && !EOMSafe(m):
				if !errors.Is(err, ErrDelimiterInMessage) {
					t.Fatalf("unsafe message accepted: %v", err)
				}
			case err != nil:
				t.Fatal(err)
			default:
				sent = append(sent, m)
			}
		}
		d := NewDecoder(iotest.OneByteReader(&buf))
		d.SetFraming(fr)
		for i, want := range sent {
			got, err := d.Decode()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("message %d: got %q, %v; want %q", i, got, err, want)
			}
		}
		if m, err := d.Decode(); !errors.Is(err, io.EOF) {
			t.Fatalf("after last message: %q, %v", m, err)
		}
	})
}
