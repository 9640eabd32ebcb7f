package main

import (
	"context"
	"encoding/xml"
	"strings"

	"github.com/netyard/netyard/sdk"
)

const capIETFSystem = "urn:ietf:params:xml:ns:yang:ietf-system?"

// GetVersion reports what the device says about itself: from ietf-system
// (system/hostname and system-state/platform) when the server advertises
// it, else from the hello alone (the vendor guessed from capability
// namespaces). Raw holds the get reply, or the capability list.
func (s *session) GetVersion(ctx context.Context) (sdk.DeviceInfo, error) {
	c, err := s.client()
	if err != nil {
		return sdk.DeviceInfo{}, err
	}
	info := sdk.DeviceInfo{Platform: s.dev.Platform, Vendor: vendorFromCaps(c.serverCaps)}
	if !c.hasCap(capIETFSystem) {
		info.Raw = strings.Join(c.serverCaps, "\n")
		return info, nil
	}
	const flt = `<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system"><hostname/></system>` +
		`<system-state xmlns="urn:ietf:params:xml:ns:yang:ietf-system"><platform/></system-state>`
	r, err := s.Get(ctx, sdk.NetconfFilter{Type: "subtree", Content: flt})
	if err != nil {
		return sdk.DeviceInfo{}, err
	}
	info.Raw = r.Data
	if !r.OK {
		return info, nil
	}
	var x struct {
		Hostname string `xml:"system>hostname"`
		Platform struct {
			OSName    string `xml:"os-name"`
			OSRelease string `xml:"os-release"`
			OSVersion string `xml:"os-version"`
			Machine   string `xml:"machine"`
		} `xml:"system-state>platform"`
	}
	if xml.Unmarshal([]byte("<r>"+r.Data+"</r>"), &x) == nil {
		info.Hostname = strings.TrimSpace(x.Hostname)
		p := x.Platform
		if v := strings.TrimSpace(p.OSName); v != "" {
			info.Vendor = v
		}
		info.SoftwareRelease = strings.TrimSpace(p.OSRelease)
		if info.SoftwareRelease == "" {
			info.SoftwareRelease = strings.TrimSpace(p.OSVersion)
		}
		info.Model = strings.TrimSpace(p.Machine)
	}
	if strings.TrimSpace(info.Raw) == "" {
		// ietf-system advertised but empty (netconfd without its SIL).
		info.Raw = strings.Join(c.serverCaps, "\n")
	}
	return info, nil
}

// vendorFromCaps guesses the implementation from well-known namespaces.
func vendorFromCaps(caps []string) string {
	for _, v := range []struct{ marker, vendor string }{
		{"netconfcentral.org", "yuma123"},
		{"http://cisco.com/", "cisco"},
		{"http://xml.juniper.net/", "juniper"},
		{"http://arista.com/", "arista"},
		{"urn:nokia.com", "nokia"},
		{"http://tail-f.com/", "tail-f"},
	} {
		for _, c := range caps {
			if strings.Contains(c, v.marker) {
				return v.vendor
			}
		}
	}
	return ""
}
