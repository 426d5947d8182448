package events_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/events"
)

// verify is an independent receiver's check, written from the Standard Webhooks
// specification's text: the key is the base64 after "whsec_"; the signed content is
// "{msg_id}.{timestamp}.{payload}"; the header is a space-separated list of
// "<version>,<base64 signature>", of which one "v1" must match (constant-time compare).
func verify(secret, id, timestamp string, body []byte, header string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, timestamp, body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(header) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func TestSignMatchesTheSpecification(t *testing.T) {
	t.Run("published test vector", func(t *testing.T) {
		// The reference libraries' vector (standard-webhooks/standard-webhooks, libraries/go
		// TestWebhookSign).
		sig, err := events.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
			time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
		require.NoError(t, err)
		require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig)
	})
	secret := events.NewSecret()
	require.True(t, strings.HasPrefix(secret, "whsec_"))
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	require.Len(t, key, 32, "24 to 64 bytes, says the specification")
	require.NotEqual(t, secret, events.NewSecret())

	ts := time.Unix(1700000000, 0)
	body := []byte(`{"type":"post.published","version":1}`)
	sig, err := events.Sign(secret, "msg_abc", ts, body)
	require.NoError(t, err)
	cases := []struct {
		name   string
		secret string
		id     string
		ts     string
		body   []byte
		header string
		ok     bool
	}{
		{"valid", secret, "msg_abc", "1700000000", body, sig, true},
		{"among other signatures", secret, "msg_abc", "1700000000", body, "v1a,xxxx v1,AAAA " + sig, true},
		{"other secret", events.NewSecret(), "msg_abc", "1700000000", body, sig, false},
		{"other id", secret, "msg_abd", "1700000000", body, sig, false},
		{"other timestamp", secret, "msg_abc", "1700000001", body, sig, false},
		{"other body", secret, "msg_abc", "1700000000", []byte(`{"type":"post.failed","version":1}`), sig, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.ok, verify(c.secret, c.id, c.ts, c.body, c.header))
		})
	}
	_, err = events.Sign("whsec_not base64!", "msg", ts, body)
	require.Error(t, err)
}

func TestMessagesAreDeterministic(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	change := events.PostChange{PostID: "pst_1", ClientID: "cli_1", Title: "Launch", Channels: []string{"bluesky"},
		PublishAt: at.Add(time.Hour), Seq: 7, At: at, Actor: events.Actor{Kind: "approver", ID: "apr_1", Name: "Ana"},
		Action: "client_approved", Version: 2, Comment: "ok"}
	a, ok := events.FromPost(change)
	require.True(t, ok)
	b, _ := events.FromPost(change)
	require.Equal(t, a, b, "the same history line gives the same message")
	require.True(t, strings.HasPrefix(a.ID, "msg_"))
	require.NotContains(t, a.ID, ".", "ids are signed between dots")
	require.Equal(t, "post:pst_1", a.Subject)
	var env struct {
		Type      string                 `json:"type"`
		Version   int                    `json:"version"`
		Timestamp time.Time              `json:"timestamp"`
		Data      map[string]any         `json:"data"`
		Extra     map[string]interface{} `json:"-"`
	}
	require.NoError(t, json.Unmarshal(a.Body, &env))
	require.Equal(t, events.PostClientDecided, env.Type)
	require.Equal(t, 1, env.Version)
	require.Equal(t, at, env.Timestamp)
	require.Equal(t, map[string]any{"post_id": "pst_1", "client_id": "cli_1", "version": 2.0, "title": "Launch",
		"decision": "approved", "approver": map[string]any{"kind": "approver", "id": "apr_1", "name": "Ana"}, "comment": "ok"}, env.Data)

	change.Seq = 8
	c, _ := events.FromPost(change)
	require.NotEqual(t, a.ID, c.ID, "another history line, another id")

	change.Action = "edited"
	_, ok = events.FromPost(change)
	require.False(t, ok, "an edit is no event")

	// Every type has a payload type and comes from some history line.
	seen := map[string]bool{}
	for _, action := range []string{"submitted", "review_approved", "client_changes_requested", "scheduled", "published", "publish_failed", "expired"} {
		change.Action = action
		m, ok := events.FromPost(change)
		require.True(t, ok, action)
		seen[m.Type] = true
	}
	for _, ev := range []string{"crisis_started", "sla_breached", "crisis_resolved"} {
		m, ok := events.FromCrisis(events.CrisisChange{CrisisID: "crs_1", ClientID: "cli_1", Seq: 1, At: at, Event: ev})
		require.True(t, ok, ev)
		require.Equal(t, "crisis:crs_1", m.Subject)
		seen[m.Type] = true
	}
	m := events.FromStatementDecision(events.StatementDecision{CrisisID: "crs_1", StatementID: "stm_1", Seq: 1, At: at, Decision: "approve"})
	require.Equal(t, "crisis:crs_1", m.Subject, "statement decisions arrive among their crisis's events")
	require.Contains(t, string(m.Body), `"decision":"approved"`, "decisions read as in post events")
	seen[m.Type] = true
	for _, typ := range events.Types {
		require.True(t, seen[typ], "%s is emitted", typ)
		require.Contains(t, events.Payloads, typ)
		require.True(t, events.Known(typ))
	}
	require.False(t, events.Known("post.created"))
}
