// Package inventory loads device inventories for netyard: a Nornir
// SimpleInventory directory, or the same content in one YAML file, and turns
// a host into the sdk.Device a plugin connects to.
//
// # Sources
//
// A directory holds hosts.yaml (required), groups.yaml and defaults.yaml
// (both optional; .yml is accepted too), exactly as Nornir's SimpleInventory
// reads them. A single file holds the three as top-level keys:
//
//	defaults:
//	  username: netops
//	  password_env: NETOPS_PW
//	groups:
//	  core:
//	    platform: cisco_iosxe
//	    connection_options:
//	      scrapli:
//	        extras: {auth_strict_key: false, auth_secondary_env: NETOPS_ENABLE}
//	hosts:
//	  edge1:
//	    hostname: 192.0.2.10
//	    groups: [core]
//	    data: {site: lon, role: edge}
//
// Hosts and groups accept hostname, port, username, password, platform,
// groups, data and connection_options; defaults accepts the same but groups.
// A connection_options entry accepts hostname, port, username, password,
// platform and extras. Unknown fields are errors (a misspelt "pasword" would
// otherwise silently inherit another password). Numbers where a string is
// expected are errors too: quote numeric passwords, or their leading zeros
// are lost.
//
// # Inheritance
//
// As Nornir does: a field comes from the host, else from its groups in the
// order listed, each group searched depth first (its own value, then its own
// groups), else from defaults. A group reached twice is searched once; a
// cycle of groups is an error. data is merged key by key with the same
// precedence (a key's value is taken whole, not merged deeper).
// connection_options are resolved per connection name and per field the same
// way, and fields a connection entry leaves unset come from the host's
// resolved fields. extras are merged key by key (unlike Nornir, which takes
// the extras of the nearest level whole); a key set to null removes what a
// lower level set. The hostname defaults to the host's name.
//
// # Credentials from the environment
//
// Any of username, password and each extras key may instead be written with
// an _env suffix naming an environment variable: password_env: NETOPS_PW,
// extras: {auth_secondary_env: NETOPS_ENABLE}. The variable is read when the
// device is built (Device), not at load, so a host that is not selected does
// not need it; an unset or empty variable is an *Error naming the host, the
// field and the variable (errors.Is ErrMissingEnv). Setting both the plain
// field and its _env form at one level is an error; across levels the usual
// precedence applies.
//
// # Connection types
//
// Device maps a host to an sdk.Device for one connection type, reading the
// connection_options entry that Nornir users already write for it:
//
//	ssh (alias scrapli)    connection_options "ssh", else "scrapli", else "netmiko"
//	netconf                "netconf" (ncclient extras), else "scrapli_netconf"
//	api (alias http)       "api", else "http"
//	restconf               "restconf"
//	any other type T       "T", extras passed to the plugin as they are
//
// Library extras are translated into the plugins' option names (for example
// scrapli's auth_secondary becomes the enable secret, auth_strict_key
// strict_host_key, ncclient's hostkey_verify: false insecure_skip_verify, an
// http verify path ca_file); netyard option names are passed as they are,
// and extras.netyard_options is a mapping passed verbatim. Extras with no
// netyard meaning are dropped and reported through Options.Warn. See the
// tables in device.go.
package inventory
