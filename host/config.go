package host

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netyard/netyard/sdk"
)

// EnvPluginDir lists plugin directories (colon-separated) when none are configured.
const EnvPluginDir = "NETYARD_PLUGIN_DIR"

// DefaultPluginDir is used when neither Config.PluginDirs nor
// $NETYARD_PLUGIN_DIR names a directory.
const DefaultPluginDir = "./bin/plugins"

// LockFileName is the lock file `netyard plugins lock` writes.
const LockFileName = "netyard.lock"

// Config is the host's configuration. The zero value discovers plugins in
// $NETYARD_PLUGIN_DIR or ./bin/plugins with the manifests' session policies.
type Config struct {
	// PluginDirs are scanned, with one level of sub-directories, for
	// netyard-plugin.yaml files.
	PluginDirs []string
	// LockFile pins every plugin's sha256; default: netyard.lock beside the
	// first plugin directory, used when it exists.
	LockFile string
	// Defaults beat the manifests' default_for claims.
	Defaults Defaults
	// Plugins holds per-plugin overrides, keyed by plugin name.
	Plugins map[string]PluginConfig
	// SkipBadPlugins registers the valid plugins and logs the rest, instead
	// of failing New when any manifest is invalid.
	SkipBadPlugins bool
	// Logger receives the host's and the plugins' logs (plugins' lines are
	// tagged with the plugin name and pid). Nil discards.
	Logger hclog.Logger
	// StartTimeout bounds a plugin launch and handshake (default 10s).
	StartTimeout time.Duration
	// CallTimeout bounds a call whose context has no deadline (default 5m),
	// so a hung plugin cannot hang a caller that forgot one.
	CallTimeout time.Duration
	// TLS selects host-plugin transport security: "" or "fast" (mTLS with a
	// per-host CA, the default), "auto" (go-plugin's AutoMTLS), "off".
	TLS string
	// MaxMessageSize bounds one reply from a plugin (default sdk.MaxMessageSize).
	MaxMessageSize int
}

// Defaults are host-level default plugin choices; they beat manifest claims.
type Defaults struct {
	// Platforms maps a platform to the "type/library" entry used when only
	// the platform is known.
	Platforms map[string]string
	// Types maps "platform/type" to the library used for it.
	Types map[string]string
}

// PluginConfig overrides a plugin's manifest recommendations.
type PluginConfig struct {
	Sessions sdk.SessionPolicy // zero fields keep the manifest's value
	Env      []string          // extra environment for the plugin process
	Disabled bool              // do not register this plugin
}

// Pool defaults when neither the manifest nor the host config sets them.
const (
	DefaultPerProcess  = 32
	DefaultMaxUses     = 1000
	DefaultIdleTimeout = 5 * time.Minute
)

// pluginDirs resolves the directories to scan.
func (c Config) pluginDirs() []string {
	if len(c.PluginDirs) > 0 {
		return c.PluginDirs
	}
	if env := os.Getenv(EnvPluginDir); env != "" {
		var dirs []string
		for _, d := range strings.Split(env, ":") {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
		return dirs
	}
	return []string{DefaultPluginDir}
}

// lockFile resolves the lock file path.
func (c Config) lockFile() string {
	if c.LockFile != "" {
		return c.LockFile
	}
	dirs := c.pluginDirs()
	return filepath.Join(filepath.Dir(filepath.Clean(dirs[0])), LockFileName)
}

// policy merges the manifest's session policy with host overrides and defaults.
func (c Config) policy(m *sdk.Manifest) sdk.SessionPolicy {
	p := m.Sessions
	if o, ok := c.Plugins[m.Name]; ok {
		if o.Sessions.PerProcess > 0 {
			p.PerProcess = o.Sessions.PerProcess
		}
		if o.Sessions.OnClose != "" {
			p.OnClose = o.Sessions.OnClose
		}
		if o.Sessions.MaxUses > 0 {
			p.MaxUses = o.Sessions.MaxUses
		}
		if o.Sessions.IdleTimeout > 0 {
			p.IdleTimeout = o.Sessions.IdleTimeout
		}
	}
	if p.PerProcess <= 0 {
		p.PerProcess = DefaultPerProcess
	}
	if p.OnClose == "" {
		p.OnClose = "recycle"
	}
	if p.MaxUses <= 0 {
		p.MaxUses = DefaultMaxUses
	}
	if p.IdleTimeout <= 0 {
		p.IdleTimeout = sdk.Duration(DefaultIdleTimeout)
	}
	return p
}
