// Package store keeps Greenlight's records in PostgreSQL or SQLite through GORM: reference
// data (users, clients, approvers, link-token hashes, idempotency keys) and the projections
// workflows write so that reads are plain SQL.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/greenlight/greenlight"

	_ "modernc.org/sqlite" // pure-Go driver registered as "sqlite", shared with embedded Temporal
)

// Store is the database handle. It is safe for concurrent use.
type Store struct {
	db       *gorm.DB
	postgres bool
}

// Open connects to dsn: a postgres:// or postgresql:// URL, or else a SQLite file path.
// It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg := &gorm.Config{
		Logger:  logger.Discard,
		NowFunc: func() time.Time { return time.Now().UTC() },
		// Reads and single writes do not need the implicit transaction GORM wraps around
		// every create/update; explicit transactions are used where atomicity matters.
		SkipDefaultTransaction: true,
	}
	var (
		db  *gorm.DB
		err error
		pg  = strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
	)
	if pg {
		db, err = gorm.Open(postgres.New(postgres.Config{DSN: dsn}), cfg)
	} else {
		// Reuse prepared statements: the pure-Go SQLite spends much of a short query
		// preparing it (and mapping memory for it).
		cfg.PrepareStmt = true
		db, err = gorm.Open(sqlite.New(sqlite.Config{DriverName: "sqlite", DSN: sqliteDSN(dsn)}), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if pg {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		// One writer at a time is SQLite's rule (busy_timeout queues writers); WAL lets the
		// other connections read meanwhile.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
	}
	s := &Store{db: db, postgres: pg}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

func sqliteDSN(path string) string {
	if strings.Contains(path, "?") {
		return path
	}
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_time_format=sqlite&_txlock=immediate"
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// DB exposes the GORM handle to tests and tools in this module.
func (s *Store) DB() *gorm.DB { return s.db }

func (s *Store) ctx(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// isUnique reports whether err is a unique-constraint violation on either database.
func isUnique(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// wrap turns database errors into domain errors: not-found becomes ENOTFOUND with what,
// a lost connection becomes EUNAVAILABLE; anything else is returned with context.
func wrap(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return greenlight.Errorf(greenlight.ENOTFOUND, "%s not found", what)
	case greenlight.ErrorCode(err) != greenlight.EINTERNAL:
		return err
	default:
		if u := unavailable(err); u != err {
			return u
		}
		return fmt.Errorf("%s: %w", what, err)
	}
}

// unavailable maps connection-level failures (server down, restarting, refused) to
// EUNAVAILABLE so callers answer 503 with a message instead of a bare 500.
func unavailable(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is connection exceptions, 57P0x is shutdown/crash/cannot connect now.
		if strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") {
			return &wrappedError{greenlight.Errorf(greenlight.EUNAVAILABLE, "database unavailable, retry shortly"), err}
		}
		return err
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "failed to connect", "conn closed", "broken pipe",
		"connection reset", "unexpected EOF", "server closed", "bad connection", "no such host", "database is locked"} {
		if strings.Contains(msg, s) {
			return &wrappedError{greenlight.Errorf(greenlight.EUNAVAILABLE, "database unavailable, retry shortly"), err}
		}
	}
	return err
}

// wrappedError carries a domain error for callers and the driver error for logs.
type wrappedError struct {
	domain *greenlight.Error
	cause  error
}

func (e *wrappedError) Error() string { return e.domain.Error() + ": " + e.cause.Error() }
func (e *wrappedError) Unwrap() []error {
	return []error{e.domain, e.cause}
}
