package main

import (
	"strings"
	"testing"
)

func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		ok        bool
		data      string
		tags      []string
	}{
		{"ok", `<?xml version="1.0"?><rpc-reply message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><ok/></rpc-reply>`, true, "", nil},
		{"prefixed data", `<nc:rpc-reply xmlns:nc="x" a=">"><nc:data><a><data>x</data></a></nc:data></nc:rpc-reply>`, true, `<a><data>x</data></a>`, nil},
		{"empty data", `<rpc-reply><data/></rpc-reply>`, true, "", nil},
		{"data then warning", `<rpc-reply><data><x/></data><rpc-error><error-type>application</error-type><error-tag>operation-failed</error-tag><error-severity>warning</error-severity></rpc-error></rpc-reply>`, true, "<x/>", []string{"operation-failed"}},
		{"error", `<rpc-reply message-id="3"><!-- c --><rpc-error><error-type>protocol</error-type><error-tag>lock-denied</error-tag><error-severity>error</error-severity><error-path> /a </error-path><error-message xml:lang="en">locked</error-message><error-info><session-id>7</session-id></error-info></rpc-error></rpc-reply>`, false, "", []string{"lock-denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseReply(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if r.ok != tc.ok || r.data != tc.data || len(r.errors) != len(tc.tags) {
				t.Fatalf("got %+v", r)
			}
			for i, tag := range tc.tags {
				if r.errors[i].Tag != tag {
					t.Fatalf("error %d: %+v", i, r.errors[i])
				}
			}
		})
	}
	r, _ := parseReply(`<rpc-reply><rpc-error><error-type>protocol</error-type><error-tag>lock-denied</error-tag><error-severity>error</error-severity><error-path> /a </error-path><error-message>locked</error-message><error-info><session-id>7</session-id></error-info></rpc-error></rpc-reply>`)
	if e := r.errors[0]; e.Type != "protocol" || e.Path != "/a" || e.Message != "locked" || !strings.Contains(e.Info, "<session-id>7</session-id>") {
		t.Fatalf("rpc-error fields: %+v", e)
	}
	if _, err := parseReply(`<hello/>`); err == nil {
		t.Fatal("a hello parsed as an rpc-reply")
	}
	if id := messageID(`<?xml version="1.0"?>` + "\n" + `<rpc-reply xmlns="x" message-id='42'><ok/></rpc-reply>`); id != "42" {
		t.Fatalf("message-id %q", id)
	}
}

func TestConfigElementAndOptions(t *testing.T) {
	if got := configElement(`<configuration/>`); got != `<config><configuration/></config>` {
		t.Fatalf("configElement: %q", got)
	}
	if got := configElement(` <nc:config xmlns:nc="x"><a/></nc:config>`); got != `<nc:config xmlns:nc="x"><a/></nc:config>` {
		t.Fatalf("configElement: %q", got)
	}
	for in, want := range map[string]int{"1024": 1024, "64MiB": 64 << 20, "1G": 1 << 30, "0": 0} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := parseOptions(map[string]string{"rpc_timeout": "x", "base": "2", "bogus": "1"}); err == nil ||
		!strings.Contains(err.Error(), "rpc_timeout") || !strings.Contains(err.Error(), "base") || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("bad options: %v", err)
	}
}
