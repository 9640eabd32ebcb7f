package host

import (
	"maps"
	"slices"

	"github.com/netyard/netyard/sdk"
)

// Device is a device to connect to; it is the SDK's contract type.
type Device = sdk.Device

// ValidateDevice checks what every connection needs: platform, host,
// username, and a password or a private key. All missing fields are
// reported at once. Nothing is launched.
func ValidateDevice(d Device) error {
	var missing []string
	if d.Platform == "" {
		missing = append(missing, "platform")
	}
	if d.Host == "" {
		missing = append(missing, "host")
	}
	if d.Username == "" {
		missing = append(missing, "username")
	}
	if d.Password == "" && len(d.PrivateKey) == 0 {
		missing = append(missing, "password or private_key")
	}
	invalid := map[string]string{}
	if d.Port < 0 || d.Port > 65535 {
		invalid["port"] = "must be between 1 and 65535 (0 = the protocol's default)"
	}
	if len(missing) == 0 && len(invalid) == 0 {
		return nil
	}
	return &ValidationError{base: base{DeviceID: deviceID(d)}, Missing: missing, Invalid: invalid}
}

func deviceID(d Device) string {
	switch {
	case d.ID != "":
		return d.ID
	case d.Name != "":
		return d.Name
	case d.Host != "":
		return d.Host
	}
	return "(unnamed device)"
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
