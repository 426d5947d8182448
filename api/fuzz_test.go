package api

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/sentiment"
)

// FuzzDecodePostRequest feeds the post decoder arbitrary bodies: it must never panic, and
// every refusal must be a 400 or 422 domain error.
func FuzzDecodePostRequest(f *testing.F) {
	f.Add([]byte(`{"client_id":"cli_01m7yv4g9rdvn46678gj89aecp","title":"Menu","body":"Bonjour","channels":["x"],"publish_at":"2026-12-01T09:00:00Z"}`))
	f.Add([]byte(`{"title":null,"reminder_after":"24h","escalate_after":"-1h","media_urls":["http://x"]}`))
	f.Add([]byte(`{"version":"1"}`))
	f.Add([]byte("{\"title\":\"\xff\"}"))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req postRequest
		err := decodeJSON(body, &req)
		if err == nil {
			_, err = req.fields()
		}
		if err != nil {
			if code := greenlight.ErrorCode(err); code != greenlight.EMALFORMED && code != greenlight.EINVALID {
				t.Fatalf("decode error with code %q: %v", code, err)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted invalid UTF-8")
		}
	})
}

// FuzzMentionBatch decodes ingest batches and scores their texts as the ingest does.
func FuzzMentionBatch(f *testing.F) {
	f.Add([]byte(`[{"source":"x","author":"@a","text":"C'est une honte, arnaque !!","url":"https://x.example/1","at":"2026-11-21T10:00:00Z"}]`))
	f.Add([]byte(`{"mentions":[{"source":"instagram","text":"Merci, délicieux","at":"2026-11-21T10:00:00Z","sentiment":0.7}]}`))
	f.Add([]byte(`[{"text":"pas génial, vraiment nul","sentiment":-2}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var batch []mentionJSON
		if err := decodeJSON(body, &batch); err != nil {
			if code := greenlight.ErrorCode(err); code != greenlight.EMALFORMED && code != greenlight.EINVALID {
				t.Fatalf("decode error with code %q: %v", code, err)
			}
			return
		}
		for _, m := range batch {
			_, _ = time.Parse(time.RFC3339, m.At)
			if s := sentiment.Score(m.Text); s < -1 || s > 1 {
				t.Fatalf("score %v out of range for %q", s, m.Text)
			}
		}
	})
}
