package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/netyard/netyard/host"
)

// globals are the flags every command shares.
type globals struct {
	pluginDirs []string
	logLevel   string
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	cmd := &cobra.Command{
		Use:   "netyard",
		Short: "Run actions on network devices through netyard connection plugins",
		Long: `netyard runs actions on network devices through connection plugins (run),
simulates devices (sim, demo) and manages the installed plugins (plugins, resolve).

Plugins are found in the directories given with --plugin-dir (repeatable),
else in $` + host.EnvPluginDir + ` (colon-separated), else in ` + host.DefaultPluginDir + `.
The lock file ` + host.LockFileName + ` lives beside the first plugin directory.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.PersistentFlags().StringArrayVar(&g.pluginDirs, "plugin-dir", nil,
		"plugin directory to scan (repeatable; default $"+host.EnvPluginDir+" or "+host.DefaultPluginDir+")")
	cmd.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level on stderr: trace, debug, info, warn, error, off")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usage(fmt.Errorf("%w (see %s --help)", err, c.CommandPath()))
	})
	cmd.AddCommand(newPluginsCmd(g), newResolveCmd(g), newSimCmd(), newDemoCmd(g), newRunCmd(g))
	return cmd
}

// config builds the host configuration from the global flags. Directories
// not given on the command line are left to the host ($NETYARD_PLUGIN_DIR,
// then ./bin/plugins), so a missing default directory is not an error.
func (g *globals) config(stderr io.Writer) (host.Config, error) {
	level := hclog.LevelFromString(g.logLevel)
	if level == hclog.NoLevel {
		return host.Config{}, usage(fmt.Errorf("--log-level %q: expected trace, debug, info, warn, error or off", g.logLevel))
	}
	return host.Config{
		PluginDirs: g.pluginDirs,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "netyard", Level: level, Output: stderr,
		}),
	}, nil
}

// pluginDirs says where plugins are looked for, for messages.
func (g *globals) describeDirs() string {
	if len(g.pluginDirs) > 0 {
		return strings.Join(g.pluginDirs, ", ")
	}
	if env := os.Getenv(host.EnvPluginDir); env != "" {
		return env + " ($" + host.EnvPluginDir + ")"
	}
	return host.DefaultPluginDir
}
