package sim

import (
	"strings"
	"testing"
)

// TestCLIInterpreter drives the generic interpreter directly with each platform's data.
func TestCLIInterpreter(t *testing.T) {
	s := newTestSim(t,
		DeviceSpec{Name: "r1", Platform: "cisco_iosxe"},
		DeviceSpec{Name: "e1", Platform: "arista_eos"},
		DeviceSpec{Name: "j1", Platform: "juniper_junos"},
	)
	type step struct{ in, want, mode string }
	cases := []struct {
		dev   string
		steps []step
	}{
		{"r1", []step{
			{"show", "% Incomplete command.", "exec"},
			{"show versoin", "        ^\n% Invalid input detected at '^' marker.", "exec"},
			{"enable", "", "privileged"},
			{"conf t", "Enter configuration commands", "config"},
			{"interface Loopback0", "", "config-if"},
			{"ip address 10.0.0.1 255.255.255.255", "", "config-if"},
			{"bogus", "^\n% Invalid input detected", "config-if"},
			{"do show run | include Loopback", "interface Loopback0", "config-if"},
			{"exit", "", "config"},
			{"end", "", "privileged"},
			{"show running-config | begin Loopback0", "interface Loopback0\n ip address 10.0.0.1 255.255.255.255\n!", "privileged"},
			{"disable", "", "exec"},
		}},
		{"e1", []step{
			{"foo", "% Invalid input (at token 0: 'foo')", "exec"},
			{"terminal length 0", "Pagination disabled.", "exec"},
			{"enable", "", "privileged"},
			{"configure terminal", "", "config"},
			{"interface Ethernet1/1", "", "config-if"},
			{"show ip int brief", "% Invalid input (at token 0: 'show')", "config-if"},
		}},
		{"j1", []step{
			{"foo", "^\nunknown command.", "exec"},
			{"show bogus", "     ^\nsyntax error.", "exec"},
			{"configure", "Entering configuration mode", "config"},
			{"set system host-name core2", "", "config"},
			{"set nonsense here", "syntax error.", "config"},
			{"show | compare", "+ set system host-name core2", "config"},
			{"rollback 0", "load complete", "config"},
			{"show | compare", "", "config"},
			{"set system host-name core3", "", "config"},
			{"commit and-quit", "commit complete", "exec"},
			{"show configuration | display set | match host-name", "set system host-name core3", "exec"},
		}},
	}
	for _, c := range cases {
		d := s.Device(c.dev)
		sess := newCLISession(d, "netops", d.plat.LoginMode)
		sess.readSecret = func(string) (string, error) { return "netops", nil }
		for _, st := range c.steps {
			var b strings.Builder
			prompt := sess.prompt()
			if err := sess.execute(&b, st.in); err != nil {
				t.Fatalf("%s %q: %v", c.dev, st.in, err)
			}
			if !strings.Contains(b.String(), st.want) || (st.want == "" && b.Len() > 0 && st.in == "show | compare") {
				t.Errorf("%s %s%s:\n got %q\nwant %q", c.dev, prompt, st.in, b.String(), st.want)
			}
			if sess.mode != st.mode {
				t.Errorf("%s %q: mode %s, want %s", c.dev, st.in, sess.mode, st.mode)
			}
		}
	}
	if h := s.Device("j1").Hostname(); h != "core3" {
		t.Errorf("junos hostname after commit: %s", h)
	}
	if p := newCLISession(s.Device("j1"), "netops", "config").prompt(); p != "\n[edit]\nnetops@core3# " {
		t.Errorf("junos config prompt %q", p)
	}
}
