package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"time"

	"github.com/greenlight/greenlight/bench"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var cfg bench.Config
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "base URL of a running Greenlight (dev mode: its mail catcher gives the links)")
	fs.StringVar(&cfg.Key, "key", os.Getenv("GREENLIGHT_ADMIN_KEY"), "admin API key (GREENLIGHT_ADMIN_KEY)")
	fs.StringVar(&cfg.Temporal, "temporal", "127.0.0.1:7233", "Temporal frontend of the same stack, for the bare-engine baseline (empty: skip)")
	fs.StringVar(&cfg.Namespace, "namespace", "default", "Temporal namespace")
	fs.IntVar(&cfg.Posts, "posts", 200, "posts through the whole approval path")
	fs.IntVar(&cfg.Concurrency, "concurrency", 16, "requests in flight")
	fs.DurationVar(&cfg.PublishIn, "publish-in", 15*time.Second, "approved posts are rescheduled to publish this long after")
	fs.IntVar(&cfg.Crises, "crises", 20, "crises started and driven to resolution")
	fs.IntVar(&cfg.Pending, "pending", 0, "posts left awaiting the client before measuring reads (e.g. 10000)")
	fs.IntVar(&cfg.Reads, "reads", 2000, "reads per read measurement")
	fs.IntVar(&cfg.ReadConcurrency, "read-concurrency", 4, "reads in flight during the read measurements")
	fs.StringVar(&cfg.PDS, "pds", "", "a Bluesky PDS the stack can reach, for the publishing phase (empty: skip it), e.g. http://127.0.0.1:2583")
	fs.StringVar(&cfg.PDSHandle, "pds-handle", "", "handle of an account on --pds")
	fs.StringVar(&cfg.PDSPassword, "pds-password", "", "its app password (a test PDS's account password works too)")
	fs.IntVar(&cfg.Publications, "publications", 0, "posts published on Bluesky in the publishing phase (0: --posts)")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.Key == "" {
		return errors.New("bench needs an admin API key: --key or GREENLIGHT_ADMIN_KEY (dev mode keeps it in data/admin.key)")
	}
	cfg.Progress = stderr
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep.Print(stdout)
	if *jsonOut != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(*jsonOut, data, 0o644)
	}
	return nil
}
