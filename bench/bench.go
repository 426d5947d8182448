// Package bench loads a running Greenlight stack through its real HTTP API — posts through
// the whole approval path, crises through their steps — and, in the same run, measures the
// bare Temporal engine under it (a minimal workflow waiting for one Update) so that the app
// can be reported as a ratio of the engine.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says what to load and how hard.
type Config struct {
	URL         string // base URL of the API
	Key         string // an admin API key
	Temporal    string // Temporal frontend of the same stack, for the bare engine ("" skips it)
	Namespace   string
	Posts       int           // posts through the whole path
	Concurrency int           // requests in flight
	PublishIn   time.Duration // once approved, posts are rescheduled to publish this long after
	Crises      int           // crises started and driven
	Pending     int           // posts left awaiting the client, for the read measurements
	Reads       int           // reads per read measurement
	// ReadConcurrency is how many reads are in flight during the read measurements (a few
	// people browsing; Concurrency saturates the machine and measures its queue instead).
	ReadConcurrency int
	// PDS, when set, adds the publishing phase: a Bluesky PDS the stack can reach (a local
	// one: GREENLIGHT_OUTBOUND_ALLOW must list its address), with an account on it
	// (PDSHandle, PDSPassword: an app password or, on a test PDS, the account password).
	PDS, PDSHandle, PDSPassword string
	// Publications is how many posts the publishing phase publishes (0: Posts).
	Publications int
	Progress     io.Writer // progress bars (stderr); nil for none
}

// Stat is the latency distribution of one operation.
type Stat struct {
	Name    string        `json:"name"`
	Count   int           `json:"count"`
	Errors  int           `json:"errors"`
	Wall    time.Duration `json:"wall"`
	PerSec  float64       `json:"per_sec"`
	P50     time.Duration `json:"p50"`
	P95     time.Duration `json:"p95"`
	P99     time.Duration `json:"p99"`
	Max     time.Duration `json:"max"`
	samples []time.Duration
}

// Report is what a run measured.
type Report struct {
	Config      Config            `json:"-"`
	Stats       []*Stat           `json:"stats"`
	Decisions   float64           `json:"decisions_per_sec"`
	BareUpdates float64           `json:"bare_updates_per_sec"`
	Ratio       float64           `json:"decisions_ratio"`
	ClickP99    time.Duration     `json:"approve_click_p99"`
	BareP99     time.Duration     `json:"bare_update_p99"`
	Memory      map[string]int64  `json:"memory,omitempty"`
	Published   int               `json:"published"`
	Publishing  *PublishingReport `json:"publishing,omitempty"`
	Started     time.Time         `json:"started"`
	Took        time.Duration     `json:"took"`
}

type runner struct {
	cfg    Config
	http   *http.Client
	report *Report
	mu     sync.Mutex
	stats  map[string]*Stat
}

// Run performs the whole benchmark.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.PublishIn <= 0 {
		cfg.PublishIn = 15 * time.Second
	}
	if cfg.Reads <= 0 {
		cfg.Reads = 1000
	}
	if cfg.ReadConcurrency <= 0 {
		cfg.ReadConcurrency = 4
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.PDS != "" && (cfg.PDSHandle == "" || cfg.PDSPassword == "") {
		return nil, errNoPDS
	}
	r := &runner{cfg: cfg, stats: map[string]*Stat{},
		http:   &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency * 2}},
		report: &Report{Config: cfg, Started: time.Now()}}
	if err := r.posts(ctx); err != nil {
		return nil, err
	}
	if cfg.Crises > 0 {
		if err := r.crises(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.Temporal != "" {
		if err := r.bare(ctx); err != nil {
			return nil, fmt.Errorf("bare engine: %w", err)
		}
	}
	if cfg.PDS != "" {
		if err := r.publishing(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.Pending > 0 {
		if err := r.pending(ctx); err != nil {
			return nil, err
		}
	}
	r.finish()
	return r.report, nil
}

// --- HTTP ---

type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

func (r *runner) call(ctx context.Context, method, path, key string, body any, out any) error {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	target := path
	if strings.HasPrefix(path, "/") {
		target = r.cfg.URL + path
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return &apiError{resp.StatusCode, strings.TrimSpace(string(data))}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// timed runs f and records its latency under name.
func (r *runner) timed(name string, f func() error) error {
	start := time.Now()
	err := f()
	r.record(name, time.Since(start), err)
	return err
}

func (r *runner) record(name string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats[name]
	if s == nil {
		s = &Stat{Name: name}
		r.stats[name] = s
		r.report.Stats = append(r.report.Stats, s)
	}
	if err != nil {
		s.Errors++
		return
	}
	s.Count++
	s.samples = append(s.samples, d)
}

func (r *runner) setWall(name string, wall time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.stats[name]; s != nil {
		s.Wall = wall
	}
}

// each runs f for i in [0, n) with the configured concurrency, showing progress, and
// records the phase's wall time on stat (throughput = count / wall).
func (r *runner) each(ctx context.Context, label, stat string, n int, f func(i int) error) error {
	start := time.Now()
	var next, done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	stop := r.progress(label, n, &done)
	for range min(r.cfg.Concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("%s #%d: %w", label, i, err) })
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	stop()
	if stat != "" {
		r.setWall(stat, time.Since(start))
	}
	return firstErr
}

func (r *runner) progress(label string, n int, done *atomic.Int64) func() {
	if r.cfg.Progress == nil {
		return func() {}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	last := -1
	draw := func() {
		d := int(done.Load())
		if d == last {
			return
		}
		last = d
		width := 30
		filled := width * d / max(n, 1)
		fmt.Fprintf(r.cfg.Progress, "\r%-26s [%s%s] %d/%d", label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), d, n)
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				draw()
				fmt.Fprintln(r.cfg.Progress)
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() { close(quit); <-finished }
}

// --- the approval path ---

type post struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Version int    `json:"version"`
}

type env struct {
	clientID, approver string
	editor, reviewer   string
}

func (r *runner) setup(ctx context.Context, name string) (*env, error) {
	stamp := time.Now().UnixNano()
	e := &env{approver: fmt.Sprintf("approver-%d@bench.test", stamp)}
	var c struct {
		ID string `json:"id"`
	}
	if err := r.call(ctx, "POST", "/api/v1/clients", r.cfg.Key, map[string]any{
		"name": name, "approval_policy": "any", "digest_window": "0s", "approvers": []map[string]string{{"name": "Bench Approver", "email": e.approver}},
	}, &c); err != nil {
		return nil, fmt.Errorf("create client (is --key an admin key?): %w", err)
	}
	e.clientID = c.ID
	for _, u := range []struct {
		role string
		key  *string
	}{{"editor", &e.editor}, {"reviewer", &e.reviewer}} {
		var out struct {
			APIKey string `json:"api_key"`
		}
		if err := r.call(ctx, "POST", "/api/v1/users", r.cfg.Key, map[string]any{
			"email": fmt.Sprintf("%s-%d@bench.test", u.role, stamp), "name": "Bench " + u.role, "role": u.role,
		}, &out); err != nil {
			return nil, fmt.Errorf("create %s: %w", u.role, err)
		}
		*u.key = out.APIKey
	}
	return e, nil
}

var linkRE = regexp.MustCompile(`https?://\S+/approve/[A-Za-z0-9_\-]+`)

// link finds the approval link of a post in the dev mail catcher.
func (r *runner) link(ctx context.Context, postID string) (string, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var mails []struct {
			Text string `json:"text"`
		}
		if err := r.call(ctx, "GET", "/dev/mail.json?subject="+url.QueryEscape(postID), "", nil, &mails); err != nil {
			return "", fmt.Errorf("read the dev mail catcher (the bench needs dev mode's /dev/mail.json): %w", err)
		}
		for _, m := range mails {
			if l := linkRE.FindString(m.Text); l != "" {
				return l, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no approval email for %s", postID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// createPosts creates n drafts on channel instagram due in a week: they wait for their
// approvals, and the bench reschedules the approved ones to publish soon.
func (r *runner) createPosts(ctx context.Context, e *env, n int, prefix string) ([]post, error) {
	return r.createPostsOn(ctx, e, n, prefix, "instagram", func(i int) string { return "Load test — post " + fmt.Sprint(i) })
}

// createPostsOn creates n drafts on channel with body(i) as text, due in a week.
func (r *runner) createPostsOn(ctx context.Context, e *env, n int, prefix, channel string, body func(i int) string) ([]post, error) {
	posts := make([]post, n)
	publishAt := time.Now().Add(7 * 24 * time.Hour)
	stat := prefix + "create post"
	err := r.each(ctx, stat, stat, n, func(i int) error {
		return r.timed(stat, func() error {
			return r.call(ctx, "POST", "/api/v1/posts", e.editor, map[string]any{
				"client_id": e.clientID, "title": fmt.Sprintf("Bench post %d", i), "body": body(i),
				"channels": []string{channel}, "publish_at": publishAt.UTC().Format(time.RFC3339Nano),
			}, &posts[i])
		})
	})
	return posts, err
}

// toClient submits and reviews posts; prefix keeps the stats of a phase apart (the
// decision ratio uses the unprefixed ones).
func (r *runner) toClient(ctx context.Context, e *env, posts []post, prefix string) error {
	submit, review := prefix+"submit", prefix+"review"
	if err := r.each(ctx, submit, submit, len(posts), func(i int) error {
		return r.timed(submit, func() error {
			return r.call(ctx, "POST", "/api/v1/posts/"+posts[i].ID+"/submit", e.editor, nil, nil)
		})
	}); err != nil {
		return err
	}
	return r.each(ctx, review, review, len(posts), func(i int) error {
		return r.timed(review, func() error {
			return r.call(ctx, "POST", "/api/v1/posts/"+posts[i].ID+"/review", e.reviewer, map[string]any{"version": 1, "decision": "approve"}, nil)
		})
	})
}

func (r *runner) posts(ctx context.Context) error {
	if r.cfg.Posts <= 0 {
		return nil
	}
	e, err := r.setup(ctx, fmt.Sprintf("Bench %s", time.Now().Format("15:04:05")))
	if err != nil {
		return err
	}
	posts, err := r.createPosts(ctx, e, r.cfg.Posts, "")
	if err != nil {
		return err
	}
	if err := r.toClient(ctx, e, posts, ""); err != nil {
		return err
	}
	if err := r.approve(ctx, e, posts, ""); err != nil {
		return err
	}
	// Reschedule (no re-approval), then publication at the new time.
	publishAt := time.Now().Add(r.cfg.PublishIn).UTC().Format(time.RFC3339Nano)
	if err := r.each(ctx, "reschedule", "reschedule", len(posts), func(i int) error {
		return r.timed("reschedule", func() error {
			return r.call(ctx, "PATCH", "/api/v1/posts/"+posts[i].ID, e.editor, map[string]any{"publish_at": publishAt}, nil)
		})
	}); err != nil {
		return err
	}
	return r.each(ctx, "wait for publication", "", len(posts), func(i int) error {
		deadline := time.Now().Add(r.cfg.PublishIn + 2*time.Minute)
		for {
			var p post
			if err := r.call(ctx, "GET", "/api/v1/posts/"+posts[i].ID, e.editor, nil, &p); err != nil {
				return err
			}
			if p.Status == "published" {
				r.mu.Lock()
				r.report.Published++
				r.mu.Unlock()
				return nil
			}
			if p.Status != "scheduled" || time.Now().After(deadline) {
				return fmt.Errorf("post %s is %s, not published", p.ID, p.Status)
			}
			time.Sleep(500 * time.Millisecond)
		}
	})
}

// approve finds each post's emailed link, POSTs the client's approval and reads the post
// until it shows scheduled (stats "<prefix>approve click", "<prefix>click → scheduled
// visible").
func (r *runner) approve(ctx context.Context, e *env, posts []post, prefix string) error {
	links := make([]string, len(posts))
	if err := r.each(ctx, prefix+"find emailed links", "", len(posts), func(i int) error {
		var err error
		links[i], err = r.link(ctx, posts[i].ID)
		return err
	}); err != nil {
		return err
	}
	// The approve click, then how long until a read shows the post scheduled.
	click := prefix + "approve click"
	return r.each(ctx, prefix+"client approve clicks", click, len(posts), func(i int) error {
		start := time.Now()
		if err := r.timed(click, func() error {
			return r.call(ctx, "POST", links[i], "", url.Values{"decision": {"approve"}}, nil)
		}); err != nil {
			if ae, ok := err.(*apiError); ok && ae.Status == http.StatusTooManyRequests {
				return fmt.Errorf("approve %s: the /approve rate limit (per IP) refused the bench: start the stack with GREENLIGHT_APPROVE_RATE_LIMIT=1000000", posts[i].ID)
			}
			return fmt.Errorf("approve %s: %w", posts[i].ID, err)
		}
		for {
			var p post
			if err := r.call(ctx, "GET", "/api/v1/posts/"+posts[i].ID, e.editor, nil, &p); err != nil {
				return err
			}
			switch p.Status {
			case "scheduled", "published":
				r.record(prefix+"click → scheduled visible", time.Since(start), nil)
				return nil
			case "awaiting_client":
			default:
				return fmt.Errorf("post %s is %s after the approve click (raise --publish-in?)", p.ID, p.Status)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// --- crises ---

func (r *runner) crises(ctx context.Context) error {
	var lead struct {
		APIKey string `json:"api_key"`
	}
	stamp := time.Now().UnixNano()
	if err := r.call(ctx, "POST", "/api/v1/users", r.cfg.Key, map[string]any{
		"email": fmt.Sprintf("lead-%d@bench.test", stamp), "name": "Bench lead", "role": "crisis_lead",
	}, &lead); err != nil {
		return err
	}
	return r.each(ctx, "crises", "", r.cfg.Crises, func(i int) error {
		var c struct {
			ID string `json:"id"`
		}
		if err := r.call(ctx, "POST", "/api/v1/clients", r.cfg.Key, map[string]any{
			"name": fmt.Sprintf("Bench crisis client %d-%d", stamp, i), "approvers": []map[string]string{{"name": "A", "email": fmt.Sprintf("a-%d-%d@bench.test", stamp, i)}},
		}, &c); err != nil {
			return err
		}
		var crisis struct {
			ID string `json:"id"`
		}
		if err := r.timed("start crisis", func() error {
			return r.call(ctx, "POST", "/api/v1/crises", lead.APIKey, map[string]any{
				"client_id": c.ID, "playbook": "bad-buzz", "severity": "high", "summary": "bench"}, &crisis)
		}); err != nil {
			return err
		}
		for _, step := range []string{"assemble", "qualify", "reply-guidelines"} {
			if err := r.completeStep(ctx, lead.APIKey, crisis.ID, step); err != nil {
				return err
			}
		}
		return r.timed("resolve crisis", func() error {
			return r.call(ctx, "POST", "/api/v1/crises/"+crisis.ID+"/resolve", lead.APIKey, map[string]any{"summary": "bench over"}, nil)
		})
	})
}

// completeStep completes a step once it is ready (the steps before it may still be running:
// a 409 then means "not yet", and only the successful call is timed).
func (r *runner) completeStep(ctx context.Context, key, crisisID, step string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		start := time.Now()
		err := r.call(ctx, "POST", "/api/v1/crises/"+crisisID+"/steps/"+step+"/complete", key, map[string]any{"note": "bench"}, nil)
		var ae *apiError
		if err != nil && asAPIError(err, &ae) && ae.Status == http.StatusConflict && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		r.record("complete step", time.Since(start), err)
		return err
	}
}

func asAPIError(err error, target **apiError) bool {
	ae, ok := err.(*apiError)
	if ok {
		*target = ae
	}
	return ok
}

// --- many pending posts ---

func (r *runner) pending(ctx context.Context) error {
	e, err := r.setup(ctx, fmt.Sprintf("Bench pending %s", time.Now().Format("15:04:05")))
	if err != nil {
		return err
	}
	posts, err := r.createPosts(ctx, e, r.cfg.Pending, "pending: ")
	if err != nil {
		return err
	}
	if err := r.toClient(ctx, e, posts, "pending: "); err != nil {
		return err
	}
	saved := r.cfg.Concurrency
	r.cfg.Concurrency = r.cfg.ReadConcurrency
	defer func() { r.cfg.Concurrency = saved }()
	if err := r.each(ctx, "pending: read post", "pending: read post", r.cfg.Reads, func(i int) error {
		return r.timed("pending: read post", func() error {
			return r.call(ctx, "GET", "/api/v1/posts/"+posts[i%len(posts)].ID, e.editor, nil, nil)
		})
	}); err != nil {
		return err
	}
	if err := r.each(ctx, "pending: list page", "pending: list page", r.cfg.Reads, func(i int) error {
		return r.timed("pending: list page", func() error {
			return r.call(ctx, "GET", "/api/v1/posts?status=awaiting_client&limit=50&client_id="+e.clientID, e.editor, nil, nil)
		})
	}); err != nil {
		return err
	}
	var mem map[string]int64
	if err := r.call(ctx, "GET", "/dev/stats", "", nil, &mem); err == nil {
		r.report.Memory = mem
	}
	return nil
}

// --- results ---

func (r *runner) finish() {
	rep := r.report
	rep.Took = time.Since(rep.Started)
	for _, s := range rep.Stats {
		sort.Slice(s.samples, func(i, j int) bool { return s.samples[i] < s.samples[j] })
		if n := len(s.samples); n > 0 {
			pick := func(q float64) time.Duration { return s.samples[min(n-1, int(q*float64(n)))] }
			s.P50, s.P95, s.P99, s.Max = pick(0.50), pick(0.95), pick(0.99), s.samples[n-1]
		}
		if s.Wall > 0 {
			s.PerSec = float64(s.Count) / s.Wall.Seconds()
		}
	}
	var decisions int
	var wall time.Duration
	for _, name := range []string{"submit", "review", "approve click"} {
		if s := r.stats[name]; s != nil {
			decisions += s.Count
			wall += s.Wall
		}
	}
	if wall > 0 {
		rep.Decisions = float64(decisions) / wall.Seconds()
	}
	if s := r.stats["bare update"]; s != nil {
		rep.BareUpdates, rep.BareP99 = s.PerSec, s.P99
	}
	if s := r.stats["approve click"]; s != nil {
		rep.ClickP99 = s.P99
	}
	if rep.BareUpdates > 0 {
		rep.Ratio = rep.Decisions / rep.BareUpdates
	}
}

// Print writes the report as a table with the ratios and targets.
func (rep *Report) Print(w io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	fmt.Fprintf(w, "\n%-28s %7s %6s %9s %8s %8s %8s %8s\n", "operation", "count", "errors", "per sec", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, s := range rep.Stats {
		per := ""
		if s.PerSec > 0 {
			per = fmt.Sprintf("%.1f", s.PerSec)
		}
		fmt.Fprintf(w, "%-28s %7d %6d %9s %8s %8s %8s %8s\n", s.Name, s.Count, s.Errors, per, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
	}
	fmt.Fprintf(w, "\nposts published: %d; run took %s\n", rep.Published, rep.Took.Round(time.Second))
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	if rep.BareUpdates > 0 && rep.Decisions > 0 {
		fmt.Fprintf(w, "decisions/s app ÷ bare Updates/s = %.1f ÷ %.1f = %.2f (target ≥ 0.80: %s)\n",
			rep.Decisions, rep.BareUpdates, rep.Ratio, verdict(rep.Ratio >= 0.8))
		fmt.Fprintf(w, "approve-click p99 %s ms vs bare Update p99 %s ms + 20 ms = %s ms (%s)\n",
			ms(rep.ClickP99), ms(rep.BareP99), ms(rep.BareP99+20*time.Millisecond), verdict(rep.ClickP99 <= rep.BareP99+20*time.Millisecond))
	}
	if p := rep.Publishing; p != nil {
		fmt.Fprintf(w, "Bluesky: %d of %d posts published in %s from their publish time (first started after %s, last after %s); the repo gained %d records\n",
			p.Published, p.Posts, p.Wall.Round(time.Millisecond), p.FirstStart.Round(time.Millisecond), p.LastStart.Round(time.Millisecond), p.Records)
		fmt.Fprintf(w, "publications/s app ÷ bare createRecord/s = %.1f ÷ %.1f = %.2f (target ≥ 0.80: %s)\n",
			p.PerSec, p.BarePerSec, p.Ratio, verdict(p.Ratio >= 0.8))
	}
	if rep.Memory != nil {
		fmt.Fprintf(w, "dev process memory: RSS %.0f MiB, Go heap %.0f MiB, %d goroutines\n",
			float64(rep.Memory["rss_bytes"])/(1<<20), float64(rep.Memory["heap_alloc_bytes"])/(1<<20), rep.Memory["goroutines"])
	}
}
