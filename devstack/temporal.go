// Package devstack runs the pieces `greenlight dev` needs in-process: a Temporal server
// persisted to a SQLite file, so that workflows and timers survive a restart. Only the dev
// command and end-to-end tests link it; the api and worker processes never do.
package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// historyCache is how many workflows' state the embedded history service keeps in memory.
const historyCache = 2048

// TemporalConfig says where the embedded server keeps its state and listens.
type TemporalConfig struct {
	// DatabaseFile is the SQLite file holding histories, timers and visibility. Empty means
	// in memory (tests only: nothing survives the process).
	DatabaseFile string
	// Port for the frontend gRPC service on 127.0.0.1; 0 picks a free one.
	Port int
	// Namespace is registered at start if missing.
	Namespace string
	// DBConns is the size of the SQLite connection pool (default 1).
	DBConns int
	// LogLevel of the server's own logger: "warn" when empty (errors and warnings only,
	// without stack traces), else debug, info, warn or error.
	LogLevel string
	// LogOutput receives the server's JSON log lines (os.Stderr when nil).
	LogOutput io.Writer
}

// Temporal is a running embedded Temporal server.
type Temporal struct {
	srv      temporal.Server
	hostPort string
	log      *logPhase
}

// logPhase tells the server's logger where the server is in its life. While starting, its
// services reach one another before the membership ring and the frontend are up and log
// that they could not (they retry); while stopping, they lose one another and log errors
// about it. Both are expected and not the developer's business.
type logPhase struct {
	starting, stopping atomic.Bool
}

// StartTemporal configures and starts a single-process Temporal server (frontend, history,
// matching and worker services) on loopback. A new database file gets the schema; an existing
// one is reused as is. It returns once the server accepts connections.
func StartTemporal(cfg TemporalConfig) (*Temporal, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn"
	}
	if cfg.LogOutput == nil {
		cfg.LogOutput = os.Stderr
	}
	sqlCfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{},
		DatabaseName:      cfg.DatabaseFile,
	}
	if cfg.DatabaseFile == "" {
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		sqlCfg.DatabaseName = fmt.Sprintf("greenlight-%d", time.Now().UnixNano())
	} else {
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		// WAL lets readers proceed during writes; NORMAL sync is durable across process
		// crashes (the dev promise) and only risks the last transactions on power loss.
		// (Attributes other than SQLite URI parameters become PRAGMAs.)
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		sqlCfg.ConnectAttributes["synchronous"] = "normal"
		sqlCfg.ConnectAttributes["busy_timeout"] = "10000"
		// One connection (the plugin's default): measured with `greenlight bench`, four
		// connections made decisions slower — transactions that upgrade from read to write
		// fail with "database is locked" whatever the busy timeout, and Temporal retries them.
		sqlCfg.MaxConns, sqlCfg.MaxIdleConns = cfg.dbConns(), cfg.dbConns()
		if err := os.MkdirAll(filepath.Dir(cfg.DatabaseFile), 0o755); err != nil {
			return nil, fmt.Errorf("temporal data dir: %w", err)
		}
		if _, err := os.Stat(cfg.DatabaseFile); errors.Is(err, os.ErrNotExist) {
			if err := sqliteschema.SetupSchema(sqlCfg); err != nil {
				return nil, fmt.Errorf("temporal schema: %w", err)
			}
		}
	}

	ports, err := loadPorts(cfg)
	if err != nil {
		return nil, err
	}
	port := ports[0]
	const host = "127.0.0.1"
	service := func(grpc, membership int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpc, MembershipPort: membership, BindOnIP: host}}
	}
	hostPort := fmt.Sprintf("%s:%d", host, port)
	conf := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host},
			Metrics: &metrics.Config{Prometheus: &metrics.PrometheusConfig{
				ListenAddress: fmt.Sprintf("%s:%d", host, ports[1]), HandlerPath: "/metrics",
			}},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": service(port, ports[2]),
			"history":  service(ports[3], ports[4]),
			"matching": service(ports[5], ports[6]),
			"worker":   service(ports[7], ports[8]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}
	ns, err := sqliteschema.NewNamespaceConfig("active", cfg.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("temporal namespace: %w", err)
	}
	if err := sqliteschema.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("temporal namespace: %w", err)
	}

	phase := &logPhase{}
	phase.starting.Store(true)
	logger, err := serverLogger(cfg.LogOutput, cfg.LogLevel, phase)
	if err != nil {
		return nil, err
	}
	dc := dynamicconfig.StaticClient{
		// One process, one shard: let a single poller drain the queues quickly.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// The history service caches up to 128,000 workflows' state by default: with
		// 10,000 posts waiting that kept hundreds of megabytes alive for the garbage
		// collector to scan. A waiting post is read again only when its timer fires.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): historyCache,
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	slog.Debug("embedded temporal started", "address", hostPort)
	return &Temporal{srv: srv, hostPort: hostPort, log: phase}, nil
}

// serverLogger is the embedded server's logger: JSON lines at level and above on w, without
// the stack traces Temporal's own builder adds to errors, without the transient errors of
// its start, and silent once it is stopping.
func serverLogger(w io.Writer, level string, phase *logPhase) (log.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("temporal log level: %w", err)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey, enc.EncodeTime = "ts", zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), lvl)
	return log.NewZapLogger(zap.New(quietWhen{core, phase})), nil
}

// quietWhen drops every entry while the server stops, the transient errors of its start,
// and the startup notices about features a single-process dev server leaves off on purpose.
type quietWhen struct {
	zapcore.Core
	phase *logPhase
}

// offOnPurpose are the beginnings of warnings about features the dev server does not use.
var offOnPurpose = []string{
	"HTTP API port has not been set", // Nexus HTTP endpoints: not used by Greenlight
}

func (q quietWhen) Enabled(l zapcore.Level) bool {
	return !q.phase.stopping.Load() && q.Core.Enabled(l)
}

func (q quietWhen) With(fields []zapcore.Field) zapcore.Core {
	return quietWhen{q.Core.With(fields), q.phase}
}

func (q quietWhen) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if q.phase.stopping.Load() || !q.Core.Enabled(e.Level) {
		return ce
	}
	for _, m := range offOnPurpose {
		if strings.HasPrefix(e.Message, m) {
			return ce
		}
	}
	return ce.AddCore(e, q)
}

// whileStarting are the errors the server's own services meet when they call one another
// before the membership ring and the frontend are up (they retry): startup noise, not
// failures. A server that never comes up fails the start with an error of ours; once
// started, these errors are logged like any other.
var whileStarting = []string{
	"Frontend is not healthy yet",
	"Not enough hosts to serve the request",
}

// Write drops, while the server starts, the entries about its services not reaching one
// another yet, then writes the rest.
func (q quietWhen) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if q.phase.starting.Load() {
		for _, f := range fields {
			var text string
			switch {
			case f.Type == zapcore.ErrorType:
				if err, ok := f.Interface.(error); ok {
					text = err.Error()
				}
			case f.Type == zapcore.StringType:
				text = f.String
			}
			for _, m := range whileStarting {
				if text != "" && strings.Contains(text, m) {
					return nil
				}
			}
		}
	}
	return q.Core.Write(e, fields)
}

// Started tells the server's logger that everything around the server is up: from now on
// its services' errors about not reaching one another are logged.
func (t *Temporal) Started() { t.log.starting.Store(false) }

// HostPort is the frontend address for SDK clients.
func (t *Temporal) HostPort() string { return t.hostPort }

// Stop shuts the server down; pending timers stay in the database file. What the server
// logs while its services stop one after the other is dropped.
func (t *Temporal) Stop() error {
	t.log.stopping.Store(true)
	return t.srv.Stop()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// loadPorts returns the frontend port, the metrics port and the gRPC and membership ports
// of the services. With a database file they are kept beside it and reused: after a restart
// the services come back at the addresses their membership records name, instead of waiting
// for the records of vanished hosts to expire.
func loadPorts(cfg TemporalConfig) ([]int, error) {
	const n = 9
	path := ""
	if cfg.DatabaseFile != "" {
		path = cfg.DatabaseFile + ".ports"
	}
	var ports []int
	if path != "" {
		if b, err := os.ReadFile(path); err == nil {
			_ = json.Unmarshal(b, &ports)
		}
	}
	if len(ports) != n {
		ports = make([]int, n)
	}
	if cfg.Port != 0 {
		ports[0] = cfg.Port
	}
	used := map[int]bool{}
	for i := range ports {
		if (i == 0 && cfg.Port != 0) || (ports[i] != 0 && !used[ports[i]] && portFree(ports[i])) {
			used[ports[i]] = true
			continue
		}
		for {
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			if !used[p] {
				ports[i], used[p] = p, true
				break
			}
		}
	}
	if path != "" {
		b, _ := json.Marshal(ports)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return nil, fmt.Errorf("temporal ports: %w", err)
		}
	}
	return ports, nil
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

func (cfg TemporalConfig) dbConns() int {
	if cfg.DBConns > 0 {
		return cfg.DBConns
	}
	return 1
}
