package e2e

import (
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/testdb"
)

// TestTimersSurviveRestart stops the dev process with a publish timer and an expiry timer
// pending, starts it again on the same data, and expects both to fire; then the same with a
// crash (SIGKILL) and a reminder timer.
func TestTimersSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("E2E_KEEP_DIR"); d != "" {
		dir = d
	}
	dsn := testdb.PostgresURL(t)
	first := startDev(t, dir, dsn, "")
	a := &api{t: t, base: first.URL, key: first.Key}
	editor := a.createUser("editor")
	reviewer := a.createUser("reviewer")
	ana := uniqueEmail("ana")
	c := a.createClient("any", ana)
	approved := editor.createPost(c.ID, 8*time.Second, nil)["id"].(string)
	waiting := editor.createPost(c.ID, 8*time.Second, nil)["id"].(string)
	for _, id := range []string{approved, waiting} {
		editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
		reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	}
	link := approvalLink(t, first.URL, ana, approved)
	r := form(t, link, url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 200, r.Status, "%s", r.Body)
	first.stop()

	time.Sleep(9 * time.Second) // both timers come due while nothing runs
	second := startDev(t, dir, dsn, first.addr)
	defer second.stop()
	editor.waitStatus(approved, "published", 30*time.Second)
	editor.waitStatus(waiting, "expired", 30*time.Second)

	// A crash: the reminder of a post waiting for the client fires after the restart.
	remind := editor.createPost(c.ID, time.Hour, map[string]any{"reminder_after": "1m", "escalate_after": "2h"})["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+remind+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+remind+"/review", map[string]any{"version": 1, "decision": "approve"})
	before := len(mailsAt(t, second.URL, ana))
	second.kill()
	third := startDev(t, dir, dsn, first.addr)
	defer third.stop()
	eventually(t, 90*time.Second, func() bool {
		for _, m := range mailsAt(t, third.URL, ana) {
			if len(m.Subject) > 9 && m.Subject[:9] == "Reminder:" {
				return true
			}
		}
		return false
	}, "the reminder to %s after a crash (had %d mails)", ana, before)
}

// approvalLink waits for the approval email of one post to one approver.
func approvalLink(t *testing.T, base, to, postID string) string {
	t.Helper()
	var link string
	eventually(t, 20*time.Second, func() bool {
		for _, m := range mailsAt(t, base, to) {
			if l := linkRE.FindString(m.Text); l != "" && containsPost(t, base, l, postID) {
				link = l
				return true
			}
		}
		return false
	}, "the approval email of %s", postID)
	return link
}
