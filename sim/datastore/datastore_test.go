package datastore

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func parseConfig(t *testing.T, body string) []*Node {
	t.Helper()
	n, err := ParseXML([]byte(`<config xmlns="` + NetconfBaseNS + `" xmlns:nc="` + NetconfBaseNS + `">` + body + `</config>`))
	if err != nil {
		t.Fatal(err)
	}
	return n.Children
}

func ifc(body string, op string) string {
	attr := ""
	if op != "" {
		attr = ` nc:operation="` + op + `"`
	}
	return `<interfaces xmlns="` + InterfacesNS + `"><interface` + attr + `>` + body + `</interface></interfaces>`
}

func xmlOf(t *testing.T, s *Store, ds Datastore) string {
	t.Helper()
	n, err := s.GetConfig(ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	return XMLString(n)
}

func tagOf(err error) string {
	if err == nil {
		return ""
	}
	return AsErrors(err)[0].Tag
}

func TestEditConfig(t *testing.T) {
	const typ = `<type xmlns:ift="urn:ietf:params:xml:ns:yang:iana-if-type">ift:ethernetCsmacd</type>`
	tests := []struct {
		name     string
		config   string
		opts     EditOptions
		tag      string
		contains []string
		absent   []string
	}{
		{name: "merge leaf", config: ifc("<name>eth0</name><description>new</description>", ""),
			contains: []string{"<description>new</description>", "192.0.2.1"}, absent: []string{"uplink"}},
		{name: "merge creates entry keys first", config: ifc("<description>d</description><name>eth7</name>"+typ, ""),
			contains: []string{"<interface><name>eth7</name><description>d</description>"}},
		{name: "merge without key", config: ifc("<description>d</description>", ""), tag: TagMissingElement},
		{name: "create", config: ifc("<name>eth7</name>"+typ, "create"), contains: []string{"eth7"}},
		{name: "create exists", config: ifc("<name>eth0</name>", "create"), tag: TagDataExists},
		{name: "delete", config: ifc("<name>eth1</name>", "delete"), absent: []string{"eth1"}},
		{name: "delete missing", config: ifc("<name>nope</name>", "delete"), tag: TagDataMissing},
		{name: "remove missing", config: ifc("<name>nope</name>", "remove"), contains: []string{"eth1"}},
		{name: "delete leaf", config: ifc(`<name>eth0</name><description nc:operation="delete"/>`, ""), absent: []string{"uplink"}},
		{name: "replace entry", config: ifc("<name>eth0</name>"+typ, "replace"),
			contains: []string{"<name>eth0</name><type"}, absent: []string{"uplink", "192.0.2.1"}},
		{name: "bad operation", config: ifc("<name>eth0</name>", "frob"), tag: TagBadAttribute},
		{name: "default none ignores plain data", config: ifc("<name>eth0</name><description>x</description>", ""),
			opts: EditOptions{DefaultOperation: OpNone}, contains: []string{"uplink"}},
		{name: "default none with nested merge", config: ifc(`<name>eth0</name><description nc:operation="merge">x</description>`, ""),
			opts: EditOptions{DefaultOperation: OpNone}, contains: []string{"<description>x</description>"}},
		{name: "default none nested create builds ancestors", config: ifc(`<name>eth7</name><type nc:operation="create" xmlns:ift="urn:ietf:params:xml:ns:yang:iana-if-type">ift:other</type>`, ""),
			opts: EditOptions{DefaultOperation: OpNone}, contains: []string{"<name>eth7</name>"}},
		{name: "default none delete missing", config: ifc(`<name>eth7</name><description nc:operation="delete"/>`, ""),
			opts: EditOptions{DefaultOperation: OpNone}, tag: TagDataMissing},
		{name: "default replace", config: `<system xmlns="` + SystemNS + `"><hostname>x</hostname></system>`,
			opts: EditOptions{DefaultOperation: OpReplace}, contains: []string{"<hostname>x</hostname>"}, absent: []string{"eth0", "contact"}},
		{name: "test-only", config: ifc("<name>eth0</name><description>t</description>", ""),
			opts: EditOptions{TestOption: TestOnly}, contains: []string{"uplink"}},
		{name: "test-then-set invalid", config: ifc("<name>eth0</name><enabled>maybe</enabled>", ""), tag: TagInvalidValue,
			contains: []string{"<enabled>true</enabled>"}},
		{name: "set invalid stores", config: ifc("<name>eth0</name><enabled>maybe</enabled>", ""),
			opts: EditOptions{TestOption: Set}, contains: []string{"maybe"}},
		{name: "missing mandatory type", config: ifc("<name>eth7</name>", ""), tag: TagDataMissing},
		{name: "bad prefix length", config: ifc(`<name>eth0</name><ipv4 xmlns="`+IPNS+`"><address><ip>10.0.0.1</ip><prefix-length>99999</prefix-length></address></ipv4>`, ""),
			tag: TagInvalidValue},
		{name: "stop-on-error keeps earlier edits",
			config: `<interfaces xmlns="` + InterfacesNS + `"><interface><name>eth0</name><description>a</description></interface>` +
				`<interface nc:operation="create"><name>eth1</name></interface><interface><name>lo0</name><description>b</description></interface></interfaces>`,
			tag: TagDataExists, contains: []string{"<description>a</description>", "loopback"}},
		{name: "continue-on-error applies the rest", opts: EditOptions{ErrorOption: ContinueOnError},
			config: `<interfaces xmlns="` + InterfacesNS + `"><interface><name>eth0</name><description>a</description></interface>` +
				`<interface nc:operation="create"><name>eth1</name></interface><interface><name>lo0</name><description>b</description></interface></interfaces>`,
			tag: TagDataExists, contains: []string{"<description>a</description>", "<description>b</description>"}},
		{name: "rollback-on-error applies nothing", opts: EditOptions{ErrorOption: RollbackOnError},
			config: `<interfaces xmlns="` + InterfacesNS + `"><interface><name>eth0</name><description>a</description></interface>` +
				`<interface nc:operation="create"><name>eth1</name></interface></interfaces>`,
			tag: TagDataExists, contains: []string{"uplink"}},
		{name: "bad default operation", config: ifc("<name>eth0</name>", ""), opts: EditOptions{DefaultOperation: "x"}, tag: TagInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewDefault("r1")
			err := s.EditConfig(Running, parseConfig(t, tt.config), tt.opts)
			if got := tagOf(err); got != tt.tag {
				t.Fatalf("error %v, want tag %q", err, tt.tag)
			}
			x := xmlOf(t, s, Running)
			for _, c := range tt.contains {
				if !strings.Contains(x, c) {
					t.Errorf("running lacks %s:\n%s", c, x)
				}
			}
			for _, c := range tt.absent {
				if strings.Contains(x, c) {
					t.Errorf("running has %s:\n%s", c, x)
				}
			}
		})
	}
}

func TestSubtreeFilter(t *testing.T) {
	tests := []struct {
		name, filter     string
		contains, absent []string
	}{
		{"containment selects all", `<interfaces xmlns="` + InterfacesNS + `"/>`, []string{"eth0", "lo0"}, []string{"hostname"}},
		{"content match selects entry", ifc("<name>eth1</name>", ""), []string{"unused"}, []string{"eth0", "lo0"}},
		{"selection narrows", ifc("<name>eth0</name><description/>", ""), []string{"uplink"}, []string{"enabled", "eth1"}},
		{"selection across entries", ifc("<enabled/>", ""), []string{"<enabled>false</enabled>"}, []string{"name", "uplink"}},
		{"content match on non key", ifc("<enabled>false</enabled><name/>", ""), []string{"eth1"}, []string{"eth0"}},
		{"nested namespace", ifc(`<name/><ipv4 xmlns="`+IPNS+`"><address><ip/></address></ipv4>`, ""), []string{"192.0.2.1", "198.51.100.1", "<name>eth1</name>"}, []string{"prefix-length"}},
		{"filter without namespace", `<system><hostname/></system>`, []string{"<hostname>r1</hostname>"}, []string{"contact"}},
		{"no match", ifc("<name>nope</name>", ""), nil, []string{"interface"}},
		{"identity content match", ifc(`<type xmlns:x="urn:ietf:params:xml:ns:yang:iana-if-type">x:softwareLoopback</type>`, ""), []string{"lo0"}, []string{"eth0"}},
	}
	s := NewDefault("r1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := SubtreeFilter(parseConfig(t, tt.filter))
			got, err := s.GetConfig(Running, f)
			if err != nil {
				t.Fatal(err)
			}
			x := XMLString(got)
			for _, c := range tt.contains {
				if !strings.Contains(x, c) {
					t.Errorf("lacks %s:\n%s", c, x)
				}
			}
			for _, c := range tt.absent {
				if strings.Contains(x, c) {
					t.Errorf("has %s:\n%s", c, x)
				}
			}
		})
	}
	if got, _ := s.GetConfig(Running, SubtreeFilter(nil)); len(got) != 0 {
		t.Fatal("empty filter selected data")
	}
}

func TestXPathFilter(t *testing.T) {
	ns := func(p string) (string, bool) {
		m := map[string]string{"if": InterfacesNS, "ip": IPNS, "sys": SystemNS}
		v, ok := m[p]
		return v, ok
	}
	tests := []struct {
		expr             string
		contains, absent []string
		bad              bool
	}{
		{expr: "/if:interfaces", contains: []string{"eth0", "lo0"}, absent: []string{"hostname"}},
		{expr: "/if:interfaces/if:interface[if:name='eth1']", contains: []string{"unused"}, absent: []string{"eth0"}},
		{expr: `/if:interfaces/if:interface[name="lo0"]/if:description`, contains: []string{"<name>lo0</name><description>loopback</description>"}, absent: []string{"enabled"}},
		{expr: "/if:interfaces/if:interface/ip:ipv4/ip:address/ip:ip", contains: []string{"192.0.2.1", "<name>eth0</name>"}, absent: []string{"eth1", "prefix-length"}},
		{expr: "/sys:system/sys:hostname | /if:interfaces/if:interface[if:name='eth0']/if:enabled", contains: []string{"hostname", "<enabled>true</enabled>"}, absent: []string{"contact", "eth1"}},
		{expr: "/*/if:interface[if:enabled='false']", contains: []string{"eth1"}, absent: []string{"eth0"}},
		{expr: "//interface", bad: true},
		{expr: "interfaces", bad: true},
		{expr: "/if:interfaces[count(x)>1]", bad: true},
	}
	s := NewDefault("r1")
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			f, err := XPathFilter(tt.expr, ns)
			if tt.bad {
				if tagOf(err) != TagInvalidValue {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := s.GetConfig(Running, f)
			x := XMLString(got)
			for _, c := range tt.contains {
				if !strings.Contains(x, c) {
					t.Errorf("lacks %s:\n%s", c, x)
				}
			}
			for _, c := range tt.absent {
				if strings.Contains(x, c) {
					t.Errorf("has %s:\n%s", c, x)
				}
			}
		})
	}
}

func TestLocks(t *testing.T) {
	s := NewDefault("r1")
	steps := []struct {
		name string
		fn   func() error
		tag  string
	}{
		{"lock running by 1", func() error { return s.Lock(Running, 1) }, ""},
		{"lock running by 2", func() error { return s.Lock(Running, 2) }, TagLockDenied},
		{"edit by 2", func() error {
			return s.EditConfig(Running, parseConfig(t, ifc("<name>eth0</name>", "")), EditOptions{Session: 2})
		}, TagInUse},
		{"edit by restconf", func() error {
			return s.EditConfig(Running, parseConfig(t, ifc("<name>eth0</name>", "")), EditOptions{})
		}, TagInUse},
		{"edit by owner", func() error {
			return s.EditConfig(Running, parseConfig(t, ifc("<name>eth0</name>", "")), EditOptions{Session: 1})
		}, ""},
		{"unlock by 2", func() error { return s.Unlock(Running, 2) }, TagOperationFailed},
		{"unlock by 1", func() error { return s.Unlock(Running, 1) }, ""},
		{"unlock unlocked", func() error { return s.Unlock(Running, 1) }, TagOperationFailed},
		{"dirty candidate", func() error {
			_ = s.EditConfig(Candidate, parseConfig(t, ifc("<name>eth0</name><description>c</description>", "")), EditOptions{Session: 3})
			return s.Lock(Candidate, 3)
		}, TagLockDenied},
		{"discard then lock", func() error { _ = s.DiscardChanges(3); return s.Lock(Candidate, 3) }, ""},
		{"release session", func() error { s.ReleaseSession(3); return s.Lock(Candidate, 4) }, ""},
		{"delete running", func() error { return s.DeleteConfig(Running, 4) }, TagOperationNotSupported},
		{"copy to locked candidate", func() error { return s.CopyConfig(Candidate, Running, nil, 5) }, TagInUse},
	}
	for _, st := range steps {
		if got := tagOf(st.fn()); got != st.tag {
			t.Fatalf("%s: tag %q, want %q", st.name, got, st.tag)
		}
	}
	err := s.Lock(Candidate, 9)
	var e *Error
	if !errors.As(err, &e) || len(e.Info) != 1 || e.Info[0] != (Info{"session-id", "4"}) {
		t.Fatalf("lock-denied lacks owner: %#v", err)
	}
}

func TestConfirmedCommit(t *testing.T) {
	edit := func(s *Store, desc string) {
		t.Helper()
		if err := s.EditConfig(Candidate, parseConfig(t, ifc("<name>eth0</name><description>"+desc+"</description>", "")), EditOptions{Session: 1}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("timeout reverts", func(t *testing.T) {
		s := NewDefault("r1")
		defer s.Close()
		edit(s, "tmp")
		if err := s.Commit(1, CommitOptions{Confirmed: true, Timeout: 50 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(xmlOf(t, s, Running), "tmp") {
			t.Fatal("not applied")
		}
		deadline := time.Now().Add(2 * time.Second)
		for s.ConfirmPending() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if x := xmlOf(t, s, Running); strings.Contains(x, "tmp") || !strings.Contains(x, "uplink") {
			t.Fatalf("not reverted: %s", x)
		}
	})
	t.Run("confirming commit keeps", func(t *testing.T) {
		s := NewDefault("r1")
		defer s.Close()
		edit(s, "keep")
		_ = s.Commit(1, CommitOptions{Confirmed: true, Timeout: 50 * time.Millisecond})
		if err := s.Commit(2, CommitOptions{}); tagOf(err) != TagInUse {
			t.Fatalf("other session confirmed: %v", err)
		}
		if err := s.Commit(1, CommitOptions{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if !strings.Contains(xmlOf(t, s, Running), "keep") {
			t.Fatal("reverted after confirm")
		}
	})
	t.Run("session end reverts unless persist", func(t *testing.T) {
		s := NewDefault("r1")
		defer s.Close()
		edit(s, "gone")
		_ = s.Commit(1, CommitOptions{Confirmed: true, Timeout: time.Minute})
		s.ReleaseSession(1)
		if strings.Contains(xmlOf(t, s, Running), "gone") {
			t.Fatal("not reverted at session end")
		}
		edit(s, "persisted")
		_ = s.Commit(1, CommitOptions{Confirmed: true, Timeout: time.Minute, Persist: "p"})
		s.ReleaseSession(1)
		if !strings.Contains(xmlOf(t, s, Running), "persisted") {
			t.Fatal("persistent commit reverted at session end")
		}
		if err := s.Commit(2, CommitOptions{PersistID: "wrong"}); tagOf(err) != TagInvalidValue {
			t.Fatalf("wrong persist-id: %v", err)
		}
		if err := s.Commit(2, CommitOptions{PersistID: "p"}); err != nil {
			t.Fatal(err)
		}
		if s.ConfirmPending() {
			t.Fatal("still pending")
		}
	})
	t.Run("cancel-commit", func(t *testing.T) {
		s := NewDefault("r1")
		defer s.Close()
		edit(s, "cancelled")
		_ = s.Commit(1, CommitOptions{Confirmed: true, Timeout: time.Minute})
		if err := s.CancelCommit(2, ""); tagOf(err) != TagOperationFailed {
			t.Fatalf("cancel by other: %v", err)
		}
		if err := s.CancelCommit(1, ""); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(xmlOf(t, s, Running), "cancelled") || strings.Contains(xmlOf(t, s, Candidate), "cancelled") {
			t.Fatal("not reverted")
		}
	})
}

func TestJSON(t *testing.T) {
	s := NewDefault("r1")
	nodes, _ := s.GetConfig(Running, nil)
	js := string(DefaultSchema.AppendJSON(nil, nodes, ""))
	for _, want := range []string{
		`{"ietf-interfaces:interfaces":{"interface":[{"name":"eth0","description":"uplink","type":"iana-if-type:ethernetCsmacd","enabled":true,"ietf-ip:ipv4":{"address":[{"ip":"192.0.2.1","prefix-length":24}]}}`,
		`"ietf-system:system":{"hostname":"r1"`,
	} {
		if !strings.Contains(js, want) {
			t.Fatalf("json lacks %s:\n%s", want, js)
		}
	}
	back, err := DefaultSchema.ParseJSON([]byte(js), "")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := XMLString(nodes), XMLString(back); a != b {
		t.Fatalf("round trip differs:\n%s\n%s", a, b)
	}
	bad := []string{`{"interfaces":{}}`, `{"nope:x":1}`, `{"ietf-system:system":`, `[1]`, `{"ietf-system:system":{}} x`}
	for _, b := range bad {
		if _, err := DefaultSchema.ParseJSON([]byte(b), ""); err == nil {
			t.Errorf("%s accepted", b)
		}
	}
	// Leaf-lists and empty leaves.
	n, err := DefaultSchema.ParseJSON([]byte(`{"ietf-system:system":{"search":["a","b"],"flag":[null]}}`), "")
	if err != nil || len(n[0].Children) != 3 || n[0].Children[2].Text != "" {
		t.Fatalf("%v %v", n, err)
	}
}

func TestXMLEscaping(t *testing.T) {
	s := NewDefault("a<b&c")
	x := xmlOf(t, s, Running)
	if !strings.Contains(x, "<hostname>a&lt;b&amp;c</hostname>") {
		t.Fatal(x)
	}
	if _, err := ParseXML([]byte("<a><b></a>")); !errors.Is(err, ErrNotXML) {
		t.Fatal(err)
	}
}

func TestWriteConfigPadded(t *testing.T) {
	s := NewDefault("r1")
	for _, size := range []int{0, 10_000, 64 << 20} {
		var b bytes.Buffer
		n, err := s.WriteConfig(&b, Running, nil, size)
		if err != nil || int(n) != b.Len() || b.Len() < size {
			t.Fatalf("size %d: wrote %d (%d) %v", size, n, b.Len(), err)
		}
		if size > 0 && b.Len() > size+512 {
			t.Fatalf("size %d: overshoot to %d", size, b.Len())
		}
		if size > 10_000 {
			continue // parsing 64 MiB under -race costs seconds for nothing new
		}
		root, err := ParseXML(append(append([]byte("<data>"), b.Bytes()...), "</data>"...))
		if err != nil {
			t.Fatal(err)
		}
		if root.Child(InterfacesNS, "interfaces").Child("", "interface").ChildText("name") != "eth0" {
			t.Fatal("real data not first")
		}
	}
}

func TestConcurrentAccess(t *testing.T) {
	s := NewDefault("r1")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				_ = s.EditConfig(Running, parseConfig(t, ifc("<name>eth0</name><description>d</description>", "")), EditOptions{Session: uint32(i + 1)})
				_, _ = s.GetConfig(Running, SubtreeFilter(parseConfig(t, ifc("<name>eth0</name>", ""))))
				if j%10 == 0 {
					_ = s.Lock(Candidate, uint32(i+1))
					_ = s.Unlock(Candidate, uint32(i+1))
				}
			}
		}()
	}
	wg.Wait()
}
