package inventory

import "testing"

// FuzzLoad feeds arbitrary hosts/groups/defaults files to the directory
// loader and the hosts file to the single-file loader. Loading must never
// panic and must fail with *Error values only; a loaded inventory must map
// every host for every connection type without panicking.
func FuzzLoad(f *testing.F) {
	// More seeds in testdata/fuzz/FuzzLoad (sim output, anchors, cycles,
	// env references, bad types).
	f.Add([]byte("h1: {hostname: 192.0.2.1, groups: [g]}\n"), []byte("g: {platform: cisco_iosxe}\n"), []byte("username: u\npassword_env: PW\n"))
	f.Fuzz(func(t *testing.T, hosts, groups, defaults []byte) {
		o := Options{LookupEnv: func(k string) (string, bool) { return "x", len(k)%2 == 0 }}
		check := func(inv *Inventory, err error) {
			if err != nil {
				if !onlyInventoryErrors(err) {
					t.Fatalf("error is not made of *Error: %T %v", err, err)
				}
				if err.Error() == "" {
					t.Fatal("empty error message")
				}
				return
			}
			for _, h := range inv.Hosts() {
				if len(h.chain) == 0 || h.chain[len(h.chain)-1] != inv.defaults || h.chain[0] != h.el {
					t.Fatalf("host %s: bad chain", h.Name)
				}
				for _, typ := range []string{"ssh", "netconf", "api", "restconf", "gnmi"} {
					if _, err := inv.Device(h.Name, typ); err != nil && !onlyInventoryErrors(err) {
						t.Fatalf("Device(%s, %s): %T %v", h.Name, typ, err, err)
					}
				}
				_ = h.AllGroups()
				Filter{Key: "a.b", Value: "x"}.Match(h)
			}
			if sel, err := inv.Select(Selection{}); err == nil && len(sel) != len(inv.hosts) {
				t.Fatalf("empty selection: %d of %d hosts", len(sel), len(inv.hosts))
			}
		}
		check(o.parseParts(part{file: "hosts.yaml", data: hosts, present: true},
			part{file: "groups.yaml", data: groups, present: true},
			part{file: "defaults.yaml", data: defaults, present: true}))
		check(o.parseSingle("inv.yaml", hosts))
	})
}

func onlyInventoryErrors(err error) bool {
	switch e := err.(type) {
	case Errors:
		for _, x := range e {
			if !onlyInventoryErrors(x) {
				return false
			}
		}
		return len(e) > 0
	case *Error:
		return e != nil
	}
	return false
}
