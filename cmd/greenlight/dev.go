package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only when GREENLIGHT_PPROF_ADDR is set
	"os"

	"github.com/greenlight/greenlight/devstack"
)

func runDev(ctx context.Context, args []string, c config, log *slog.Logger, stdout io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	addr := fs.String("addr", c.addr, "HTTP listen address (GREENLIGHT_ADDR)")
	data := fs.String("data", c.dataDir, "data directory (GREENLIGHT_DATA_DIR)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check("dev"); err != nil {
		return err
	}
	if addr := os.Getenv("GREENLIGHT_PPROF_ADDR"); addr != "" {
		// Profiling for performance work on a developer's machine (net/http/pprof handlers).
		go func() { log.Error("pprof server stopped", "error", http.ListenAndServe(addr, nil)) }()
	}
	obs, err := observe(ctx, c, "dev", log)
	if err != nil {
		return err
	}
	defer obs.close()
	log.Info("starting dev stack", "data", *data)
	stack, err := devstack.Start(ctx, devstack.Config{
		Addr: *addr, DataDir: *data, DatabaseURL: c.databaseURL, AdminKey: c.adminKey, PublicURL: c.publicURL,
		TemporalPort: c.temporalPort, Agency: c.agency, PlaybooksDir: c.playbooksDir, SlackWebhookURL: c.slackWebhookURL,
		Timezone: c.timezone, LinkTTL: c.linkTTL, PortalTTL: c.portalTTL, ApproveRateLimit: c.approveRateLimit, Retention: c.retention, Log: log, Outbound: c.outbound,
		Secrets: c.secrets, Networks: c.networks,
		MediaDir: c.mediaDirIn(*data), MediaMaxBytes: c.mediaMaxBytes,
		Metrics: obs.metrics, Tracing: obs.tracing,
	})
	if err != nil {
		return err
	}
	defer stack.Stop()
	db := "SQLite in " + *data
	if c.databaseURL != "" {
		db = "PostgreSQL"
	}
	fmt.Fprintf(stdout, "\nGreenlight dev is running.\n\n")
	fmt.Fprintf(stdout, "  Web        %s/\n", stack.URL)
	fmt.Fprintf(stdout, "  API        %s/api/v1\n", stack.URL)
	fmt.Fprintf(stdout, "  Mail       %s/dev/mail\n", stack.URL)
	fmt.Fprintf(stdout, "  Health     %s/readyz\n", stack.URL)
	fmt.Fprintf(stdout, "  Temporal   %s (namespace default)\n", stack.TemporalAddr)
	fmt.Fprintf(stdout, "  Records    %s\n", db)
	if obs.server != nil {
		fmt.Fprintf(stdout, "  Metrics    http://%s/metrics\n", obs.server.Addr)
	}
	if stack.NewAdminKey {
		fmt.Fprintf(stdout, "\n  Admin API key (shown once, kept in %s/admin.key):\n  %s\n", *data, stack.AdminKey)
	} else {
		fmt.Fprintf(stdout, "\n  Admin API key: in %s/admin.key (or GREENLIGHT_ADMIN_KEY)\n", *data)
	}
	if stack.AdminInvite != "" {
		fmt.Fprintf(stdout, "\n  Sign in to the web interface as %s: set a password at\n  %s\n", devstack.AdminEmail, stack.AdminInvite)
	}
	fmt.Fprintln(stdout, "\nPress Ctrl+C to stop; workflows and timers resume at the next start.")
	select {
	case <-ctx.Done():
		log.Info("stopping dev stack")
		return nil
	case err := <-stack.Done():
		return err
	}
}
