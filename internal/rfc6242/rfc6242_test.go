package rfc6242

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func decodeAll(t *testing.T, d *Decoder) ([]string, error) {
	t.Helper()
	var out []string
	for {
		m, err := d.Decode()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, string(m))
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		framing Framing
		in      string
		want    []string
		wantErr error
		syntax  bool
	}{
		{name: "eom one", in: "<hello/>]]>]]>", want: []string{"<hello/>"}},
		{name: "eom two and trailing newline", in: "<a/>]]>]]>\n<b/>]]>]]>\n", want: []string{"<a/>", "\n<b/>"}},
		{name: "eom empty message", in: "]]>]]>", want: []string{""}},
		{name: "eom bracket noise", in: "]]]]>]]]]>]]>", want: []string{"]]]]>]]"}},
		{name: "eom empty stream", in: "", want: nil},
		{name: "eom whitespace only", in: " \n", want: nil},
		{name: "eom cut short", in: "<a/>]]>]]><b/>]]>", want: []string{"<a/>"}, wantErr: io.ErrUnexpectedEOF},
		{name: "chunked one", framing: Chunked, in: "\n#4\n<a/>\n##\n", want: []string{"<a/>"}},
		{name: "chunked multi chunk", framing: Chunked, in: "\n#2\n<a\n#2\n/>\n##\n\n#3\nxyz\n##\n", want: []string{"<a/>", "xyz"}},
		{name: "chunked rfc example", framing: Chunked, in: "\n#4\n<rpc\n#18\n message-id=\"102\"\n\n#79\n     xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n  <close-session/>\n</rpc>\n##\n",
			want: []string{"<rpc message-id=\"102\"\n     xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n  <close-session/>\n</rpc>"}},
		{name: "chunked missing trailing newline (scrapligo)", framing: Chunked, in: "\n#1\na\n##\n#1\nb\n##", want: []string{"a", "b"}},
		{name: "chunked data may contain markers", framing: Chunked, in: "\n#6\n\n##\n#1\n##\n", want: []string{"\n##\n#1"}},
		{name: "chunked empty stream", framing: Chunked, in: "\n", want: nil},
		{name: "chunked no chunks", framing: Chunked, in: "\n##\n", syntax: true},
		{name: "chunked zero size", framing: Chunked, in: "\n#0\n\n##\n", syntax: true},
		{name: "chunked leading zero", framing: Chunked, in: "\n#01\na\n##\n", syntax: true},
		{name: "chunked too big", framing: Chunked, in: "\n#4294967296\n", syntax: true},
		{name: "chunked 11 digits", framing: Chunked, in: "\n#10000000000\n", syntax: true},
		{name: "chunked bad size", framing: Chunked, in: "\n#1x\na\n##\n", syntax: true},
		{name: "chunked garbage", framing: Chunked, in: "<rpc/>", syntax: true},
		{name: "chunked short data", framing: Chunked, in: "\n#10\nabc", wantErr: io.ErrUnexpectedEOF},
		{name: "chunked missing end", framing: Chunked, in: "\n#3\nabc", wantErr: io.ErrUnexpectedEOF},
		{name: "chunked bad after data", framing: Chunked, in: "\n#3\nabcd", syntax: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time exercises every split of markers across reads.
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				d := NewDecoder(r)
				d.SetFraming(tt.framing)
				got, err := decodeAll(t, d)
				var se *SyntaxError
				switch {
				case tt.syntax:
					if !errors.As(err, &se) {
						t.Fatalf("err = %v, want *SyntaxError", err)
					}
				case tt.wantErr != nil:
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
				case err != nil:
					t.Fatalf("unexpected error %v", err)
				}
				if !tt.syntax && strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestMaxMessageSizeSkipsMessage(t *testing.T) {
	for _, f := range []Framing{EndOfMessage, Chunked} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			enc := NewEncoder(&buf)
			enc.SetFraming(f)
			enc.SetMaxChunkSize(7)
			for _, m := range []string{"small", strings.Repeat("x", 100), "after"} {
				if err := enc.Encode([]byte(m)); err != nil {
					t.Fatal(err)
				}
			}
			d := NewDecoder(&buf)
			d.SetFraming(f)
			d.SetMaxMessageSize(50)
			want := []struct {
				msg string
				err error
			}{{"small", nil}, {"", ErrMessageTooLarge}, {"after", nil}, {"", io.EOF}}
			for i, w := range want {
				m, err := d.Decode()
				if !errors.Is(err, w.err) || string(m) != w.msg {
					t.Fatalf("message %d: got %q, %v; want %q, %v", i, m, err, w.msg, w.err)
				}
			}
		})
	}
}

func TestEncode(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	if err := e.Encode([]byte("<a/>")); err != nil {
		t.Fatal(err)
	}
	e.SetFraming(Chunked)
	e.SetMaxChunkSize(3)
	if err := e.Encode([]byte("<b/>")); err != nil {
		t.Fatal(err)
	}
	want := "<a/>]]>]]>\n#3\n<b/\n#1\n>\n##\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
	if err := e.Encode(nil); !errors.Is(err, ErrEmptyMessage) {
		t.Fatalf("empty chunked: %v", err)
	}
	e.SetFraming(EndOfMessage)
	for _, bad := range []string{"a]]>]]>b", "a]]>"} {
		if err := e.Encode([]byte(bad)); !errors.Is(err, ErrDelimiterInMessage) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestMessageWriter(t *testing.T) {
	for _, f := range []Framing{EndOfMessage, Chunked} {
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		e.SetFraming(f)
		w := e.MessageWriter()
		bw := bufio.NewWriterSize(w, 16)
		for range 10 {
			_, _ = bw.WriteString("<interface/>")
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		d := NewDecoder(&buf)
		d.SetFraming(f)
		m, err := d.Decode()
		if err != nil || string(m) != strings.Repeat("<interface/>", 10) {
			t.Fatalf("%v: got %q, %v", f, m, err)
		}
	}
}

func TestNegotiate(t *testing.T) {
	if Negotiate([]string{Base10, Base11}, []string{Base10, Base11}) != Chunked {
		t.Fatal("both 1.1: want chunked")
	}
	if Negotiate([]string{Base10}, []string{Base10, Base11}) != EndOfMessage {
		t.Fatal("local 1.0 only: want end-of-message")
	}
	if Negotiate([]string{Base10, Base11}, []string{Base10}) != EndOfMessage {
		t.Fatal("peer 1.0 only: want end-of-message")
	}
}

// TestLargeMessage checks a 64 MiB message in both framings, delivered in
// irregular reads, arrives intact.
func TestLargeMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB message")
	}
	msg := bytes.Repeat([]byte("<interface><name>ge-0/0/1</name></interface>\n"), (64<<20)/45)
	for _, f := range []Framing{EndOfMessage, Chunked} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			e := NewEncoder(&buf)
			e.SetFraming(f)
			e.SetMaxChunkSize(1 << 20)
			if err := e.Encode(msg); err != nil {
				t.Fatal(err)
			}
			d := NewDecoder(iotest.HalfReader(&buf))
			d.SetFraming(f)
			got, err := d.Decode()
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("len %d err %v", len(got), err)
			}
		})
	}
}

func benchmarkDecode(b *testing.B, f Framing, size int) {
	unit := []byte("<interface><name>GigabitEthernet0/0/1</name><enabled>true</enabled></interface>\n")
	msg := bytes.Repeat(unit, size/len(unit)+1)[:size]
	var framed bytes.Buffer
	e := NewEncoder(&framed)
	e.SetFraming(f)
	e.SetMaxChunkSize(64 << 10) // what a streaming server typically sends
	if err := e.Encode(msg); err != nil {
		b.Fatal(err)
	}
	src := framed.Bytes()
	r := bytes.NewReader(src)
	d := NewDecoder(r)
	d.SetFraming(f)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(src)
		d.r.Reset(r)
		if _, err := d.Decode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEOM1MB(b *testing.B)      { benchmarkDecode(b, EndOfMessage, 1<<20) }
func BenchmarkDecodeEOM10MB(b *testing.B)     { benchmarkDecode(b, EndOfMessage, 10<<20) }
func BenchmarkDecodeChunked1MB(b *testing.B)  { benchmarkDecode(b, Chunked, 1<<20) }
func BenchmarkDecodeChunked10MB(b *testing.B) { benchmarkDecode(b, Chunked, 10<<20) }

func BenchmarkEncodeChunked10MB(b *testing.B) {
	msg := bytes.Repeat([]byte("x"), 10<<20)
	e := NewEncoder(io.Discard)
	e.SetFraming(Chunked)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := e.Encode(msg); err != nil {
			b.Fatal(err)
		}
	}
}
