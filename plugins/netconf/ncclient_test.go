package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/netyard/netyard/internal/peers"
	"github.com/netyard/netyard/sdk"
)

// ncclient runs testdata/ncclient_client.py with Debian's ncclient, which
// works only with /usr/bin/python3.
func ncclient(t *testing.T, n *peers.Netconfd, args ...string) string {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", append([]string{"testdata/ncclient_client.py", n.Host, strconv.Itoa(n.Port), peers.User, "-"}, args...)...)
	cmd.Env = append(cmd.Environ(), "NC_PASSWORD="+peers.Password)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ncclient %s: %v\n%s\n(install python3-ncclient)", args[0], err, stderr.Bytes())
	}
	return string(out)
}

// canonical renders XML as namespace-qualified names, sorted attributes
// (namespace declarations dropped) and trimmed text, so documents that
// differ only in prefixes, declarations and whitespace compare equal.
func canonical(t *testing.T, doc string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader("<root>" + doc + "</root>"))
	var b strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("canonical: %v in %q", err, doc)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			var attrs []string
			for _, a := range x.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, fmt.Sprintf("{%s}%s=%q", a.Name.Space, a.Name.Local, a.Value))
			}
			sort.Strings(attrs)
			fmt.Fprintf(&b, "<{%s}%s %s>", x.Name.Space, x.Name.Local, strings.Join(attrs, " "))
		case xml.EndElement:
			b.WriteString("</>")
		case xml.CharData:
			if s := strings.TrimSpace(string(x)); s != "" {
				b.WriteString(s)
			}
		}
	}
	return b.String()
}

// TestNetconfdCrossCheckNcclient: the same edit-config, made by netyard or
// by ncclient, gives the same get-config through both clients.
func TestNetconfdCrossCheckNcclient(t *testing.T) {
	n := peers.StartNetconfd(t)
	h := newHost(t)
	nc := open(t, h, netconfdDevice(n, "nc-xcheck", nil)).NETCONF()
	ctx := ctxT(t)
	filter := `<interfaces xmlns="` + ifNS + `"/>`

	compare := func(step string) {
		t.Helper()
		ours := mustOK(t, "get-config")(nc.GetConfig(ctx, "running", sdk.NetconfFilter{Type: "subtree", Content: filter}))
		theirs := ncclient(t, n, "get-config", filter)
		if a, b := canonical(t, ours.Data), canonical(t, theirs); a != b {
			t.Fatalf("%s: netyard and ncclient disagree:\nnetyard: %s\nncclient: %s", step, a, b)
		}
		if !strings.Contains(ours.Data, "nyxcheck") {
			t.Fatalf("%s: the edited interface is missing: %q", step, ours.Data)
		}
	}
	mustOK(t, "edit-config")(nc.EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: ifConfig("nyxcheck1", "by netyard")}))
	mustOK(t, "commit")(nc.Commit(ctx, sdk.CommitOptions{}))
	compare("after netyard's edit")
	if out := ncclient(t, n, "edit-commit", ifConfig("nyxcheck2", "by ncclient")); out != "ok" {
		t.Fatalf("ncclient edit: %q", out)
	}
	compare("after ncclient's edit")
}
