package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/netyard/netyard/sim"
)

// newSimCmd returns "netyard sim": it starts simulated devices on 127.0.0.1, optionally
// writes a Nornir inventory for them, prints a summary and runs until interrupted.
func newSimCmd() *cobra.Command {
	var (
		fleet    sim.FleetSpec
		portBase int
		invDir   string
		verbose  bool
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run simulated network devices on loopback",
		Long: `Run simulated network devices on 127.0.0.1 until SIGINT/SIGTERM.

--ios, --eos and --junos start SSH CLI devices (cisco_iosxe, arista_eos, juniper_junos)
that scrapligo drives like the real platforms; --apis also gives them NETCONF, HTTP and
HTTPS. --netconf starts NETCONF-only devices and --http HTTP/HTTPS-only devices (both use
the cisco_iosxe platform data). --inventory-out writes a Nornir SimpleInventory.`,
		Example: `  netyard sim --ios 2 --junos 1 --netconf 1 --inventory-out ./inventory`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if fleet.IOS+fleet.EOS+fleet.Junos+fleet.NETCONF+fleet.HTTP == 0 {
				return fmt.Errorf("no devices: use --ios, --eos, --junos, --netconf or --http")
			}
			logger := slog.New(slog.DiscardHandler)
			if verbose {
				logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
			s, err := sim.Fleet(ctx, sim.Options{PortBase: portBase, Logger: logger}, fleet)
			if err != nil {
				return err
			}
			defer s.Close()
			if invDir != "" {
				if err := s.WriteInventory(invDir); err != nil {
					return err
				}
			}
			printSimSummary(cmd.OutOrStdout(), s, invDir)
			<-ctx.Done()
			fmt.Fprintln(cmd.ErrOrStderr(), "stopping simulated devices")
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&fleet.IOS, "ios", 0, "number of Cisco IOS-XE CLI devices")
	f.IntVar(&fleet.EOS, "eos", 0, "number of Arista EOS CLI devices")
	f.IntVar(&fleet.Junos, "junos", 0, "number of Juniper Junos CLI devices")
	f.IntVar(&fleet.NETCONF, "netconf", 0, "number of NETCONF-only devices")
	f.IntVar(&fleet.HTTP, "http", 0, "number of HTTP/HTTPS API-only devices")
	f.BoolVar(&fleet.APIs, "apis", false, "also start NETCONF, HTTP and HTTPS on the CLI devices")
	f.IntVar(&portBase, "port-base", 0, "first port to use (0 = ports chosen by the kernel)")
	f.StringVar(&invDir, "inventory-out", "", "directory for a Nornir SimpleInventory (hosts/groups/defaults.yaml)")
	f.StringVar(&fleet.Username, "username", "netops", "login username of every device")
	f.StringVar(&fleet.Password, "password", "netops", "login password of every device")
	f.StringVar(&fleet.EnableSecret, "enable-secret", "netops", "enable secret of the CLI devices")
	f.BoolVarP(&verbose, "verbose", "v", false, "log sessions to stderr")
	return cmd
}

func printSimSummary(out io.Writer, s *sim.Sim, invDir string) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPLATFORM\tSSH\tNETCONF\tHTTP\tHTTPS\tSERIAL")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, d := range s.Devices() {
		sp := d.Spec()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sp.Name, sp.Platform, dash(d.SSHAddr()),
			dash(d.NETCONFAddr()), dash(d.HTTPAddr()), dash(d.HTTPSAddr()), sp.Serial)
	}
	tw.Flush()
	fmt.Fprintf(out, "%d devices running; credentials from --username/--password; Ctrl-C stops them.\n", len(s.Devices()))
	if invDir != "" {
		fmt.Fprintf(out, "Nornir inventory: %s (HTTPS CA: %s/ca.pem)\n", invDir, invDir)
	}
}
