package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migration is one versioned schema step. SQL is written once for both databases; the
// placeholders {{ts}}, {{text}}, {{bigint}} and {{bool}} take each dialect's type.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations run in order, each in its own transaction, and are never edited once
// released: a change is a new entry.
var migrations = []migration{
	{1, "approval spine", `
CREATE TABLE users (
	id VARCHAR(40) PRIMARY KEY,
	email VARCHAR(320) NOT NULL UNIQUE,
	name VARCHAR(200) NOT NULL,
	role VARCHAR(20) NOT NULL,
	api_key_hash VARCHAR(64) UNIQUE,
	password_hash VARCHAR(200),
	created_at {{ts}} NOT NULL,
	disabled_at {{ts}}
);
CREATE TABLE clients (
	id VARCHAR(40) PRIMARY KEY,
	name VARCHAR(200) NOT NULL,
	approval_policy VARCHAR(10) NOT NULL,
	webhook_url VARCHAR(2000) NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL
);
CREATE TABLE user_clients (
	user_id VARCHAR(40) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, client_id)
);
CREATE TABLE approvers (
	id VARCHAR(40) PRIMARY KEY,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
	name VARCHAR(200) NOT NULL,
	email VARCHAR(320) NOT NULL,
	position INTEGER NOT NULL,
	UNIQUE (client_id, email)
);
CREATE TABLE posts (
	id VARCHAR(40) PRIMARY KEY,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id),
	author_id VARCHAR(40) NOT NULL,
	title VARCHAR(300) NOT NULL,
	body {{text}} NOT NULL,
	channels {{text}} NOT NULL,
	media_urls {{text}} NOT NULL,
	publish_at {{ts}} NOT NULL,
	status VARCHAR(20) NOT NULL,
	version INTEGER NOT NULL,
	reminder_after {{bigint}} NOT NULL,
	escalate_after {{bigint}} NOT NULL,
	held {{bool}} NOT NULL DEFAULT FALSE,
	published_at {{ts}},
	revision {{bigint}} NOT NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX posts_client_id ON posts (client_id, id);
CREATE INDEX posts_status_id ON posts (status, id);
CREATE TABLE post_versions (
	post_id VARCHAR(40) NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	title VARCHAR(300) NOT NULL,
	body {{text}} NOT NULL,
	channels {{text}} NOT NULL,
	media_urls {{text}} NOT NULL,
	author_id VARCHAR(40) NOT NULL,
	created_at {{ts}} NOT NULL,
	PRIMARY KEY (post_id, version)
);
CREATE TABLE post_decisions (
	post_id VARCHAR(40) NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	version INTEGER NOT NULL,
	stage VARCHAR(20) NOT NULL,
	round INTEGER NOT NULL,
	actor_kind VARCHAR(20) NOT NULL,
	actor_id VARCHAR(40) NOT NULL,
	actor_name VARCHAR(200) NOT NULL,
	decision VARCHAR(20) NOT NULL,
	comment {{text}} NOT NULL,
	at {{ts}} NOT NULL,
	PRIMARY KEY (post_id, seq)
);
CREATE TABLE post_events (
	post_id VARCHAR(40) NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	at {{ts}} NOT NULL,
	actor_kind VARCHAR(20) NOT NULL,
	actor_id VARCHAR(40) NOT NULL,
	actor_name VARCHAR(200) NOT NULL,
	action VARCHAR(40) NOT NULL,
	version INTEGER NOT NULL,
	comment {{text}} NOT NULL,
	PRIMARY KEY (post_id, seq)
);
CREATE TABLE links (
	id VARCHAR(40) PRIMARY KEY,
	token_hash VARCHAR(64) NOT NULL UNIQUE,
	effect_key VARCHAR(400) NOT NULL UNIQUE,
	subject_kind VARCHAR(20) NOT NULL,
	subject_id VARCHAR(40) NOT NULL,
	version INTEGER NOT NULL,
	approver_id VARCHAR(40) NOT NULL,
	approver_name VARCHAR(200) NOT NULL,
	approver_email VARCHAR(320) NOT NULL,
	expires_at {{ts}} NOT NULL,
	used_at {{ts}},
	created_at {{ts}} NOT NULL
);
CREATE INDEX links_subject ON links (subject_kind, subject_id);
CREATE TABLE effects (
	idem_key VARCHAR(400) PRIMARY KEY,
	kind VARCHAR(40) NOT NULL,
	status VARCHAR(10) NOT NULL,
	result {{text}} NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	done_at {{ts}}
);
CREATE TABLE dev_mails (
	id VARCHAR(40) PRIMARY KEY,
	idem_key VARCHAR(400) NOT NULL UNIQUE,
	to_addr VARCHAR(320) NOT NULL,
	to_name VARCHAR(200) NOT NULL,
	subject VARCHAR(500) NOT NULL,
	text_body {{text}} NOT NULL,
	html_body {{text}} NOT NULL,
	sent_at {{ts}} NOT NULL
);
CREATE TABLE dev_publications (
	id VARCHAR(40) PRIMARY KEY,
	idem_key VARCHAR(400) NOT NULL UNIQUE,
	client_id VARCHAR(40) NOT NULL,
	post_id VARCHAR(40) NOT NULL,
	version INTEGER NOT NULL,
	channel VARCHAR(40) NOT NULL,
	title VARCHAR(300) NOT NULL,
	body {{text}} NOT NULL,
	media_urls {{text}} NOT NULL,
	published_at {{ts}} NOT NULL
);
CREATE TABLE rate_limits (
	bucket VARCHAR(200) PRIMARY KEY,
	window_start {{ts}} NOT NULL,
	count INTEGER NOT NULL
);
`},
	{2, "crisis playbooks", `
ALTER TABLE clients ADD COLUMN slack_webhook_url VARCHAR(2000) NOT NULL DEFAULT '';
CREATE TABLE crisis_contacts (
	id VARCHAR(40) PRIMARY KEY,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
	role VARCHAR(40) NOT NULL,
	name VARCHAR(200) NOT NULL,
	email VARCHAR(320) NOT NULL,
	user_id VARCHAR(40) NOT NULL DEFAULT '',
	backup_name VARCHAR(200) NOT NULL DEFAULT '',
	backup_email VARCHAR(320) NOT NULL DEFAULT '',
	UNIQUE (client_id, role, email)
);
CREATE TABLE crises (
	id VARCHAR(40) PRIMARY KEY,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id),
	active_client_id VARCHAR(40) UNIQUE,
	playbook_key VARCHAR(80) NOT NULL,
	playbook_version VARCHAR(40) NOT NULL,
	playbook_title VARCHAR(300) NOT NULL,
	severity VARCHAR(20) NOT NULL,
	summary {{text}} NOT NULL,
	status VARCHAR(20) NOT NULL,
	phase VARCHAR(20) NOT NULL,
	lead_id VARCHAR(40) NOT NULL,
	lead_name VARCHAR(200) NOT NULL,
	trigger_reason VARCHAR(300) NOT NULL DEFAULT '',
	started_at {{ts}} NOT NULL,
	resolved_at {{ts}},
	resolution {{text}} NOT NULL DEFAULT '',
	report_md {{text}} NOT NULL DEFAULT '',
	revision {{bigint}} NOT NULL
);
CREATE INDEX crises_client ON crises (client_id, id);
CREATE TABLE crisis_steps (
	crisis_id VARCHAR(40) NOT NULL REFERENCES crises(id) ON DELETE CASCADE,
	step_key VARCHAR(80) NOT NULL,
	position INTEGER NOT NULL,
	title VARCHAR(300) NOT NULL,
	phase VARCHAR(20) NOT NULL,
	kind VARCHAR(30) NOT NULL,
	role VARCHAR(40) NOT NULL,
	assignee_id VARCHAR(40) NOT NULL DEFAULT '',
	assignee_name VARCHAR(200) NOT NULL DEFAULT '',
	status VARCHAR(20) NOT NULL,
	sla {{bigint}} NOT NULL,
	ready_at {{ts}},
	due_at {{ts}},
	completed_at {{ts}},
	escalation INTEGER NOT NULL DEFAULT 0,
	note {{text}} NOT NULL DEFAULT '',
	statement_id VARCHAR(40) NOT NULL DEFAULT '',
	PRIMARY KEY (crisis_id, step_key)
);
CREATE TABLE crisis_events (
	crisis_id VARCHAR(40) NOT NULL REFERENCES crises(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	at {{ts}} NOT NULL,
	actor_kind VARCHAR(20) NOT NULL,
	actor_id VARCHAR(40) NOT NULL,
	actor_name VARCHAR(200) NOT NULL,
	event VARCHAR(40) NOT NULL,
	step_key VARCHAR(80) NOT NULL,
	note {{text}} NOT NULL,
	PRIMARY KEY (crisis_id, seq)
);
CREATE TABLE statements (
	id VARCHAR(40) PRIMARY KEY,
	crisis_id VARCHAR(40) NOT NULL REFERENCES crises(id) ON DELETE CASCADE,
	client_id VARCHAR(40) NOT NULL,
	step_key VARCHAR(80) NOT NULL,
	version INTEGER NOT NULL,
	body {{text}} NOT NULL,
	channels {{text}} NOT NULL,
	status VARCHAR(30) NOT NULL,
	publish {{bool}} NOT NULL,
	approved_at {{ts}},
	published_at {{ts}},
	revision {{bigint}} NOT NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (crisis_id, step_key)
);
CREATE TABLE statement_decisions (
	statement_id VARCHAR(40) NOT NULL REFERENCES statements(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	version INTEGER NOT NULL,
	actor_kind VARCHAR(20) NOT NULL,
	actor_id VARCHAR(40) NOT NULL,
	actor_name VARCHAR(200) NOT NULL,
	role VARCHAR(40) NOT NULL,
	decision VARCHAR(20) NOT NULL,
	comment {{text}} NOT NULL,
	at {{ts}} NOT NULL,
	PRIMARY KEY (statement_id, seq)
);
CREATE TABLE mentions (
	id VARCHAR(40) PRIMARY KEY,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
	source VARCHAR(80) NOT NULL,
	author VARCHAR(200) NOT NULL,
	text {{text}} NOT NULL,
	url VARCHAR(2000) NOT NULL,
	at {{ts}} NOT NULL,
	sentiment DOUBLE PRECISION NOT NULL,
	scored {{bool}} NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX mentions_client_at ON mentions (client_id, at);
CREATE TABLE mention_rules (
	id VARCHAR(40) PRIMARY KEY,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
	playbook_key VARCHAR(80) NOT NULL,
	min_negative INTEGER NOT NULL,
	window_minutes INTEGER NOT NULL,
	severity VARCHAR(20) NOT NULL,
	enabled {{bool}} NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE TABLE publishing_holds (
	client_id VARCHAR(40) PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
	crisis_id VARCHAR(40) NOT NULL,
	since {{ts}} NOT NULL
);
`},
	{3, "web sessions and invites", `
CREATE TABLE sessions (
	token_hash VARCHAR(64) PRIMARY KEY,
	user_id VARCHAR(40) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf VARCHAR(64) NOT NULL,
	created_at {{ts}} NOT NULL,
	expires_at {{ts}} NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE invites (
	token_hash VARCHAR(64) PRIMARY KEY,
	user_id VARCHAR(40) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_by VARCHAR(40) NOT NULL,
	created_at {{ts}} NOT NULL,
	expires_at {{ts}} NOT NULL,
	used_at {{ts}}
);
`},
	{4, "board index", `
CREATE INDEX posts_client_status_id ON posts (client_id, status, id);
`},
	{5, "link outbox", `
CREATE TABLE link_outbox (
	effect_key VARCHAR(400) PRIMARY KEY,
	link_id VARCHAR(40) NOT NULL REFERENCES links(id) ON DELETE CASCADE,
	token VARCHAR(100) NOT NULL,
	created_at {{ts}} NOT NULL
);
`},
	// A statement step may take several statement runs (a new draft after a failed
	// publication): statements lose UNIQUE (crisis_id, step_key). Neither database can drop
	// that constraint the same way, so both tables are rebuilt (decisions first, so that
	// SQLite's cascade on the drop removes nothing that is not copied).
	{6, "several statements per step", `
CREATE TABLE statement_decisions_copy AS SELECT * FROM statement_decisions;
CREATE TABLE statements_copy AS SELECT * FROM statements;
DROP TABLE statement_decisions;
DROP TABLE statements;
CREATE TABLE statements (
	id VARCHAR(40) PRIMARY KEY,
	crisis_id VARCHAR(40) NOT NULL REFERENCES crises(id) ON DELETE CASCADE,
	client_id VARCHAR(40) NOT NULL,
	step_key VARCHAR(80) NOT NULL,
	version INTEGER NOT NULL,
	body {{text}} NOT NULL,
	channels {{text}} NOT NULL,
	status VARCHAR(30) NOT NULL,
	publish {{bool}} NOT NULL,
	approved_at {{ts}},
	published_at {{ts}},
	revision {{bigint}} NOT NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX statements_crisis_step ON statements (crisis_id, step_key);
INSERT INTO statements SELECT * FROM statements_copy;
CREATE TABLE statement_decisions (
	statement_id VARCHAR(40) NOT NULL REFERENCES statements(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	version INTEGER NOT NULL,
	actor_kind VARCHAR(20) NOT NULL,
	actor_id VARCHAR(40) NOT NULL,
	actor_name VARCHAR(200) NOT NULL,
	role VARCHAR(40) NOT NULL,
	decision VARCHAR(20) NOT NULL,
	comment {{text}} NOT NULL,
	at {{ts}} NOT NULL,
	PRIMARY KEY (statement_id, seq)
);
INSERT INTO statement_decisions SELECT * FROM statement_decisions_copy;
DROP TABLE statements_copy;
DROP TABLE statement_decisions_copy;
`},
	{7, "idempotency keys and retention indexes", `
CREATE TABLE idempotency_keys (
	user_id VARCHAR(40) NOT NULL,
	idem_key VARCHAR(255) NOT NULL,
	request_hash VARCHAR(64) NOT NULL,
	reserved_id VARCHAR(40) NOT NULL DEFAULT '',
	status_code INTEGER NOT NULL DEFAULT 0,
	content_type VARCHAR(200) NOT NULL DEFAULT '',
	body {{text}} NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	completed_at {{ts}},
	PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX invites_expires ON invites (expires_at);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
CREATE INDEX links_expires ON links (expires_at);
CREATE INDEX dev_mails_sent ON dev_mails (sent_at);
`},
	{8, "media library", `
CREATE TABLE media (
	id VARCHAR(40) PRIMARY KEY,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id),
	sha256 VARCHAR(64) NOT NULL,
	content_type VARCHAR(100) NOT NULL,
	size {{bigint}} NOT NULL,
	width INTEGER NOT NULL DEFAULT 0,
	height INTEGER NOT NULL DEFAULT 0,
	duration_ms {{bigint}},
	thumb_sha256 VARCHAR(64) NOT NULL DEFAULT '',
	filename VARCHAR(300) NOT NULL DEFAULT '',
	created_by VARCHAR(40) NOT NULL,
	created_at {{ts}} NOT NULL,
	UNIQUE (client_id, sha256)
);
CREATE INDEX media_client_id ON media (client_id, id);
`},
	{9, "connected accounts", `
CREATE TABLE accounts (
	id VARCHAR(40) PRIMARY KEY,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
	network VARCHAR(20) NOT NULL,
	handle VARCHAR(320) NOT NULL,
	service_url VARCHAR(2000) NOT NULL,
	status VARCHAR(20) NOT NULL,
	credentials {{text}} NOT NULL,
	created_by VARCHAR(40) NOT NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	last_error {{text}} NOT NULL DEFAULT '',
	UNIQUE (client_id, network, handle)
);
`},
	{10, "post media", `
ALTER TABLE posts ADD COLUMN media {{text}} NOT NULL DEFAULT '[]';
ALTER TABLE post_versions ADD COLUMN media {{text}} NOT NULL DEFAULT '[]';
ALTER TABLE post_versions ADD COLUMN digest VARCHAR(64) NOT NULL DEFAULT '';
`},
	{11, "post channels", `
CREATE TABLE post_channels (
	post_id VARCHAR(40) NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	channel VARCHAR(40) NOT NULL,
	account_id VARCHAR(40) NOT NULL DEFAULT '',
	status VARCHAR(20) NOT NULL,
	remote_id VARCHAR(500) NOT NULL DEFAULT '',
	url VARCHAR(2000) NOT NULL DEFAULT '',
	error {{text}} NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 0,
	updated_at {{ts}} NOT NULL,
	PRIMARY KEY (post_id, version, channel)
);
`},
	{12, "oauth apps and states", `
CREATE TABLE oauth_apps (
	network VARCHAR(20) NOT NULL,
	instance_url VARCHAR(500) NOT NULL,
	redirect_uri VARCHAR(1000) NOT NULL,
	client_id VARCHAR(500) NOT NULL,
	client_secret {{text}} NOT NULL,
	created_at {{ts}} NOT NULL,
	PRIMARY KEY (network, instance_url, redirect_uri)
);
CREATE TABLE oauth_states (
	state_hash VARCHAR(64) PRIMARY KEY,
	network VARCHAR(20) NOT NULL,
	account_id VARCHAR(40) NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	verifier {{text}} NOT NULL,
	created_at {{ts}} NOT NULL,
	expires_at {{ts}} NOT NULL,
	used_at {{ts}}
);
CREATE INDEX oauth_states_account ON oauth_states (account_id);
`},
	{13, "post comments", `
CREATE TABLE post_comments (
	id VARCHAR(40) PRIMARY KEY,
	post_id VARCHAR(40) NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	visibility VARCHAR(10) NOT NULL,
	author_kind VARCHAR(20) NOT NULL,
	author_id VARCHAR(40) NOT NULL,
	author_name VARCHAR(200) NOT NULL,
	link_id VARCHAR(40) NOT NULL DEFAULT '',
	body {{text}} NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX post_comments_post ON post_comments (post_id, created_at);
ALTER TABLE links ADD COLUMN decided_at {{ts}};
`},
	{14, "calendar feeds and listening sources", `
CREATE TABLE calendar_feeds (
	token_hash VARCHAR(64) PRIMARY KEY,
	user_id VARCHAR(40) REFERENCES users(id) ON DELETE CASCADE,
	approver_email VARCHAR(320),
	client_id VARCHAR(40) REFERENCES clients(id) ON DELETE CASCADE,
	created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX calendar_feeds_user ON calendar_feeds (user_id);
CREATE UNIQUE INDEX calendar_feeds_approver ON calendar_feeds (client_id, approver_email);
CREATE TABLE listening_sources (
	id VARCHAR(40) PRIMARY KEY,
	client_id VARCHAR(40) NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
	kind VARCHAR(20) NOT NULL,
	url VARCHAR(2000) NOT NULL DEFAULT '',
	every_seconds INTEGER NOT NULL DEFAULT 0,
	keywords {{text}} NOT NULL DEFAULT '[]',
	secret_sealed {{text}} NOT NULL DEFAULT '',
	etag VARCHAR(500) NOT NULL DEFAULT '',
	last_modified VARCHAR(100) NOT NULL DEFAULT '',
	last_polled_at {{ts}},
	last_status VARCHAR(20) NOT NULL DEFAULT '',
	last_error {{text}} NOT NULL DEFAULT '',
	last_item_at {{ts}},
	item_count INTEGER NOT NULL DEFAULT 0,
	created_by VARCHAR(40) NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX listening_sources_client ON listening_sources (client_id, id);
CREATE TABLE source_items (
	source_id VARCHAR(40) NOT NULL REFERENCES listening_sources(id) ON DELETE CASCADE,
	item_key VARCHAR(64) NOT NULL,
	mention_id VARCHAR(40) NOT NULL,
	seen_at {{ts}} NOT NULL,
	PRIMARY KEY (source_id, item_key)
);
`},
	{20, "event webhooks", `
CREATE TABLE webhooks (
	id VARCHAR(40) PRIMARY KEY,
	url VARCHAR(2000) NOT NULL,
	events {{text}} NOT NULL,
	description VARCHAR(500) NOT NULL DEFAULT '',
	secret_sealed {{text}} NOT NULL,
	created_by VARCHAR(40) NOT NULL,
	created_at {{ts}} NOT NULL,
	disabled_at {{ts}},
	disabled_reason VARCHAR(500) NOT NULL DEFAULT ''
);
CREATE TABLE events (
	id VARCHAR(40) PRIMARY KEY,
	type VARCHAR(60) NOT NULL,
	subject VARCHAR(100) NOT NULL,
	client_id VARCHAR(40) NOT NULL,
	at {{ts}} NOT NULL,
	seq INTEGER NOT NULL,
	body {{text}} NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX events_subject ON events (subject, at, seq);
CREATE TABLE webhook_deliveries (
	id VARCHAR(40) PRIMARY KEY,
	webhook_id VARCHAR(40) NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	event_id VARCHAR(40) NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	event_type VARCHAR(60) NOT NULL,
	subject VARCHAR(100) NOT NULL,
	at {{ts}} NOT NULL,
	seq INTEGER NOT NULL,
	status VARCHAR(20) NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_status_code INTEGER NOT NULL DEFAULT 0,
	last_error {{text}} NOT NULL DEFAULT '',
	dispatched_at {{ts}},
	delivered_at {{ts}},
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, subject, status, at, seq);
CREATE INDEX webhook_deliveries_undispatched ON webhook_deliveries (status, dispatched_at);
CREATE TABLE webhook_attempts (
	id VARCHAR(40) PRIMARY KEY,
	delivery_id VARCHAR(40) NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
	at {{ts}} NOT NULL,
	status_code INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	error {{text}} NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, at);
`},
}

type schemaMigration struct {
	Version   int `gorm:"primaryKey"`
	Name      string
	AppliedAt time.Time
}

// Migrate applies every migration not yet recorded in schema_migrations. It is safe to
// run from several processes at once on PostgreSQL (an advisory lock serialises them).
func (s *Store) Migrate(ctx context.Context) error { return s.MigrateTo(ctx, 0) }

// MigrateTo applies the migrations not yet recorded up to version upTo (every one when
// upTo is 0); tests use it to check a migration against data written before it.
func (s *Store) MigrateTo(ctx context.Context, upTo int) error {
	return s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if s.postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7411)").Error; err != nil {
				return wrap(err, "migration lock")
			}
		}
		if err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at ` + s.types()["ts"] + ` NOT NULL)`).Error; err != nil {
			return wrap(err, "create schema_migrations")
		}
		var applied []int
		if err := tx.Model(&schemaMigration{}).Pluck("version", &applied).Error; err != nil {
			return wrap(err, "read schema_migrations")
		}
		done := map[int]bool{}
		for _, v := range applied {
			done[v] = true
		}
		for _, m := range migrations {
			if done[m.version] || (upTo > 0 && m.version > upTo) {
				continue
			}
			for _, stmt := range splitSQL(s.render(m.sql)) {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
				}
			}
			if err := tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: time.Now().UTC()}).Error; err != nil {
				return wrap(err, "record migration")
			}
		}
		return nil
	})
}

// SchemaVersion returns the newest applied migration, 0 if none.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.ctx(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v).Error
	return v, wrap(err, "schema version")
}

func (s *Store) types() map[string]string {
	if s.postgres {
		return map[string]string{"ts": "TIMESTAMPTZ", "text": "TEXT", "bigint": "BIGINT", "bool": "BOOLEAN"}
	}
	return map[string]string{"ts": "DATETIME", "text": "TEXT", "bigint": "INTEGER", "bool": "BOOLEAN"}
}

func (s *Store) render(sql string) string {
	for k, v := range s.types() {
		sql = strings.ReplaceAll(sql, "{{"+k+"}}", v)
	}
	return sql
}

func splitSQL(sql string) []string {
	var out []string
	for _, stmt := range strings.Split(sql, ";") {
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}

func (schemaMigration) TableName() string { return "schema_migrations" }
