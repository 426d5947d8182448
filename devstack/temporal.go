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
	// stopping silences the server's logger: while its services shut down they lose one
	// another and log errors about it, which are expected and not the developer's business.
	stopping *atomic.Bool
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

	stopping := new(atomic.Bool)
	logger, err := serverLogger(cfg.LogOutput, cfg.LogLevel, stopping)
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
	return &Temporal{srv: srv, hostPort: hostPort, stopping: stopping}, nil
}

// serverLogger is the embedded server's logger: JSON lines at level and above on w, without
// the stack traces Temporal's own builder adds to errors, and silent once stopping is set.
func serverLogger(w io.Writer, level string, stopping *atomic.Bool) (log.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("temporal log level: %w", err)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey, enc.EncodeTime = "ts", zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), lvl)
	return log.NewZapLogger(zap.New(quietWhen{core, stopping})), nil
}

// quietWhen drops every entry while its flag is set, and the startup notices about
// features a single-process dev server leaves off on purpose.
type quietWhen struct {
	zapcore.Core
	quiet *atomic.Bool
}

// offOnPurpose are the beginnings of warnings about features the dev server does not use.
var offOnPurpose = []string{
	"HTTP API port has not been set", // Nexus HTTP endpoints: not used by Greenlight
}

func (q quietWhen) Enabled(l zapcore.Level) bool { return !q.quiet.Load() && q.Core.Enabled(l) }

func (q quietWhen) With(fields []zapcore.Field) zapcore.Core {
	return quietWhen{q.Core.With(fields), q.quiet}
}

func (q quietWhen) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if q.quiet.Load() || !q.Core.Enabled(e.Level) {
		return ce
	}
	for _, m := range offOnPurpose {
		if strings.HasPrefix(e.Message, m) {
			return ce
		}
	}
	return ce.AddCore(e, q)
}

// notYetHealthy is what the server's own services are told when they call the frontend
// before it has finished starting (they retry): startup noise, not a failure. A frontend
// that never becomes healthy fails the start with an error of ours.
const notYetHealthy = "Frontend is not healthy yet"

// Write drops the entries about the frontend still starting, then writes the rest.
func (q quietWhen) Write(e zapcore.Entry, fields []zapcore.Field) error {
	for _, f := range fields {
		if err, ok := f.Interface.(error); ok && f.Type == zapcore.ErrorType && strings.Contains(err.Error(), notYetHealthy) {
			return nil
		}
		if f.Type == zapcore.StringType && strings.Contains(f.String, notYetHealthy) {
			return nil
		}
	}
	return q.Core.Write(e, fields)
}

// HostPort is the frontend address for SDK clients.
func (t *Temporal) HostPort() string { return t.hostPort }

// Stop shuts the server down; pending timers stay in the database file. What the server
// logs while its services stop one after the other is dropped.
func (t *Temporal) Stop() error {
	t.stopping.Store(true)
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
