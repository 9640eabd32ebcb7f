package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/netyard/netyard/sdk"
)

// GetVersion is device_info, from what each API can honestly tell:
//   - api: the JSON document at info_path (default /api/v1/system), read for
//     the usual field names (hostname, vendor/manufacturer, model,
//     serial/serial_number, version/software_version/os_version, platform);
//   - restconf: ietf-system (RFC 7317): hostname from system, os-release and
//     machine from system-state/platform when the server has them. Vendor and
//     serial are not in ietf-system and stay empty.
//
// Raw holds the documents read. Fields the device does not expose are empty.
func (s *session) GetVersion(ctx context.Context) (sdk.DeviceInfo, error) {
	if s.typ == TypeRESTCONF {
		return s.restconfVersion(ctx)
	}
	res, err := s.Do(ctx, sdk.APIRequest{Method: http.MethodGet, Path: s.opts.infoPath})
	if err != nil {
		return sdk.DeviceInfo{}, err
	}
	if res.Status != http.StatusOK {
		return sdk.DeviceInfo{}, sdk.OperationError(false, nil, "device %s: device_info: GET %s answered %d (option %s names the document)",
			s.dev.ID, s.opts.infoPath, res.Status, OptInfoPath)
	}
	var doc map[string]any
	if err := json.Unmarshal(res.Body, &doc); err != nil {
		return sdk.DeviceInfo{}, sdk.OperationError(false, err, "device %s: device_info: %s is not a JSON object", s.dev.ID, s.opts.infoPath)
	}
	return sdk.DeviceInfo{
		Hostname:        pick(doc, "hostname", "host_name", "hostName"),
		Vendor:          pick(doc, "vendor", "manufacturer"),
		Model:           pick(doc, "model"),
		Serial:          pick(doc, "serial", "serial_number", "serialNumber"),
		SoftwareRelease: pick(doc, "version", "software_version", "os_version", "softwareVersion"),
		Platform:        or(pick(doc, "platform"), s.dev.Platform),
		Raw:             string(res.Body),
	}, nil
}

func (s *session) restconfVersion(ctx context.Context) (sdk.DeviceInfo, error) {
	info := sdk.DeviceInfo{Platform: s.dev.Platform}
	var raw []string
	sys, err := s.Restconf(ctx, sdk.RestconfRequest{Method: http.MethodGet, Path: "ietf-system:system"})
	if err != nil {
		return info, err
	}
	if sys.Status != http.StatusOK {
		return info, sdk.OperationError(false, nil, "device %s: device_info: GET ietf-system:system answered %d", s.dev.ID, sys.Status)
	}
	raw = append(raw, string(sys.Body))
	var sysDoc map[string]map[string]any
	if err := json.Unmarshal(sys.Body, &sysDoc); err == nil {
		info.Hostname = pick(sysDoc["ietf-system:system"], "hostname")
	}
	plat, err := s.Restconf(ctx, sdk.RestconfRequest{Method: http.MethodGet, Path: "ietf-system:system-state/platform"})
	if err != nil {
		return info, err
	}
	if plat.Status == http.StatusOK {
		raw = append(raw, string(plat.Body))
		var platDoc map[string]map[string]any
		if err := json.Unmarshal(plat.Body, &platDoc); err == nil {
			p := platDoc["ietf-system:platform"]
			info.SoftwareRelease = pick(p, "os-release", "os-version")
			info.Model = pick(p, "machine")
		}
	}
	info.Raw = strings.Join(raw, "\n")
	return info, nil
}

// pick returns the first of keys holding a string (or a number, as text).
func pick(doc map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := doc[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case float64:
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	return ""
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
