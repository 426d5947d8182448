package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish/bluesky"
)

// The publishing phase measures Greenlight publishing on Bluesky against the bare PDS under
// it, in the same run: Publications posts on channel bluesky are connected, approved
// through the emailed links and rescheduled to one publish time; the clock runs from that
// time until no post is scheduled any more (every one published or failed). Then as many
// bare com.atproto.repo.createRecord calls, with the same text (and link facet) and the
// same concurrency, go straight to the same PDS from the load tool. The ratio is
// publications/s through Greenlight ÷ bare createRecord/s. The repo is counted before and
// after: Greenlight must have made exactly one record per post.

// PublishingReport is what the publishing phase measured.
type PublishingReport struct {
	Posts        int           `json:"posts"`
	Published    int           `json:"published"`     // posts the API shows published
	Records      int           `json:"records"`       // records Greenlight's posts added to the repo
	Wall         time.Duration `json:"wall"`          // from the publish time until none is scheduled
	PerSec       float64       `json:"per_sec"`       // Published ÷ Wall
	BarePerSec   float64       `json:"bare_per_sec"`  // bare createRecord calls/s
	Ratio        float64       `json:"ratio"`         // PerSec ÷ BarePerSec
	BareFailures int           `json:"bare_failures"` // bare calls that failed
}

// pollEvery is how often the phase asks whether any post is still scheduled: one cheap list
// request, so that polling does not load the machine it measures.
const pollEvery = 50 * time.Millisecond

// publishing runs the phase when cfg.PDS is set.
func (r *runner) publishing(ctx context.Context) error {
	n := r.cfg.Publications
	if n <= 0 {
		n = max(r.cfg.Posts, 1)
	}
	rep := &PublishingReport{Posts: n}
	r.report.Publishing = rep
	const prefix = "publishing: "
	stamp := time.Now().Format("15:04:05.000")

	// The load tool's own session, to count the repo and for the bare calls.
	pds, err := bluesky.New(&http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: r.cfg.Concurrency * 2}}, r.cfg.PDS)
	if err != nil {
		return err
	}
	sess, err := pds.Login(ctx, r.cfg.PDSHandle, r.cfg.PDSPassword)
	if err != nil {
		return fmt.Errorf("log in to the PDS %s as %s: %w", r.cfg.PDS, r.cfg.PDSHandle, err)
	}
	before, err := countRecords(ctx, pds, sess.DID)
	if err != nil {
		return err
	}

	e, err := r.setup(ctx, "Bench publishing "+stamp)
	if err != nil {
		return err
	}
	if err := r.call(ctx, "POST", "/api/v1/clients/"+e.clientID+"/accounts", r.cfg.Key, map[string]any{
		"network": "bluesky", "service_url": r.cfg.PDS, "handle": r.cfg.PDSHandle, "app_password": r.cfg.PDSPassword,
	}, nil); err != nil {
		return fmt.Errorf("connect the Bluesky account (the stack must reach the PDS: GREENLIGHT_OUTBOUND_ALLOW=127.0.0.1 for a local one; GREENLIGHT_SECRET_KEY set): %w", err)
	}
	text := func(kind string) func(i int) string {
		return func(i int) string {
			return fmt.Sprintf("Bench %s %s #%d — https://example.com/bench/%d", kind, stamp, i, i)
		}
	}
	posts, err := r.createPostsOn(ctx, e, n, prefix, "bluesky", text("publication"))
	if err != nil {
		return err
	}
	if err := r.toClient(ctx, e, posts, prefix); err != nil {
		return err
	}
	if err := r.approve(ctx, e, posts, prefix); err != nil {
		return err
	}
	publishAt := time.Now().Add(r.cfg.PublishIn)
	if err := r.each(ctx, prefix+"reschedule", prefix+"reschedule", len(posts), func(i int) error {
		return r.timed(prefix+"reschedule", func() error {
			return r.call(ctx, "PATCH", "/api/v1/posts/"+posts[i].ID, e.editor, map[string]any{"publish_at": publishAt.UTC().Format(time.RFC3339Nano)}, nil)
		})
	}); err != nil {
		return err
	}
	if time.Now().After(publishAt) {
		return fmt.Errorf("publishing: the posts were rescheduled after their publish time: raise --publish-in")
	}

	// The clock: from the publish time until no post is scheduled.
	deadline := publishAt.Add(5*time.Minute + time.Duration(n)*time.Second)
	for {
		var page struct {
			Items []post `json:"items"`
		}
		if err := r.call(ctx, "GET", "/api/v1/posts?limit=1&status=scheduled&client_id="+url.QueryEscape(e.clientID), e.editor, nil, &page); err != nil {
			return err
		}
		now := time.Now()
		if len(page.Items) == 0 && now.After(publishAt) {
			rep.Wall = now.Sub(publishAt)
			break
		}
		if now.After(deadline) {
			return fmt.Errorf("publishing: posts still scheduled %s after their publish time", now.Sub(publishAt).Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}

	// Each post published on its bluesky channel, and one record each on the PDS.
	var failed []string
	if err := r.each(ctx, prefix+"check posts", "", len(posts), func(i int) error {
		var p struct {
			post
			Channels []struct {
				Channel  string `json:"channel"`
				Status   string `json:"status"`
				RemoteID string `json:"remote_id"`
				Error    string `json:"error"`
			} `json:"channels"`
		}
		if err := r.call(ctx, "GET", "/api/v1/posts/"+posts[i].ID, e.editor, nil, &p); err != nil {
			return err
		}
		ok := p.Status == "published"
		for _, c := range p.Channels {
			if c.Channel == "bluesky" && (c.Status != "published" || !strings.HasPrefix(c.RemoteID, "at://"+sess.DID+"/")) {
				ok = false
			}
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if ok {
			rep.Published++
		} else {
			failed = append(failed, fmt.Sprintf("%s: %s %+v", p.ID, p.Status, p.Channels))
		}
		return nil
	}); err != nil {
		return err
	}
	after, err := countRecords(ctx, pds, sess.DID)
	if err != nil {
		return err
	}
	rep.Records = after - before
	if rep.Wall > 0 {
		rep.PerSec = float64(rep.Published) / rep.Wall.Seconds()
	}

	if err := r.bareCreates(ctx, pds, n, text("bare")); err != nil {
		return err
	}
	if rep.BarePerSec > 0 {
		rep.Ratio = rep.PerSec / rep.BarePerSec
	}
	switch {
	case len(failed) > 0:
		return fmt.Errorf("publishing: %d of %d posts not published on Bluesky, e.g. %s", len(failed), n, failed[0])
	case rep.Records != n:
		return fmt.Errorf("publishing: %d posts published but the repo gained %d records", n, rep.Records)
	}
	return nil
}

// bareCreates makes n bare createRecord calls (the PDS picks the keys) with text(i), its
// link facet, and the configured concurrency, straight to the PDS: the baseline of the
// publishing phase (stat "bare createRecord", Publishing.BarePerSec).
func (r *runner) bareCreates(ctx context.Context, pds *bluesky.Client, n int, text func(i int) string) error {
	const bare = "bare createRecord"
	err := r.each(ctx, "publishing: bare createRecord", bare, n, func(i int) error {
		rec, err := pds.Prepare(ctx, bluesky.Post{Text: text(i)}) // no image: nothing sent
		if err != nil {
			return err
		}
		err = r.timed(bare, func() error {
			_, err := pds.CreateRecord(ctx, bluesky.Collection, "", rec)
			return err
		})
		if err != nil {
			r.mu.Lock()
			r.report.Publishing.BareFailures++
			r.mu.Unlock()
		}
		return err
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.stats[bare]; s != nil && s.Wall > 0 {
		r.report.Publishing.BarePerSec = float64(s.Count) / s.Wall.Seconds()
	}
	return err
}

// countRecords counts the posts in did's repo.
func countRecords(ctx context.Context, c *bluesky.Client, did string) (int, error) {
	n, cursor := 0, ""
	for {
		recs, next, err := c.ListRecords(ctx, did, bluesky.Collection, 100, cursor)
		if err != nil {
			return 0, fmt.Errorf("count the repo's records: %w", err)
		}
		n += len(recs)
		if next == "" || len(recs) == 0 {
			return n, nil
		}
		cursor = next
	}
}

var errNoPDS = errors.New("publishing: --pds needs --pds-handle and --pds-password (an account on that PDS)")
