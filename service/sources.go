package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/listening"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// Listening sources bring a client's mentions in: an RSS 2.0 or Atom feed polled by a
// Temporal schedule per source (kind rss), or a signed inbound webhook that listening tools
// push batches to (kind webhook). Both store mentions the way IngestMentions does
// (buildMentions, then afterIngest), so trigger rules fire by themselves.

// Bounds of a feed's polling interval.
const (
	MinSourceEvery = time.Minute
	MaxSourceEvery = 24 * time.Hour
)

// Limits of sources.
const (
	maxKeywords     = 50
	maxKeywordLen   = 100
	maxFeedBytes    = 5 << 20
	maxSourceErrLen = 500
	// WebhookSecretPrefix starts every inbound webhook signing secret.
	WebhookSecretPrefix = "glw_"
)

// SourceInput is a new listening source.
type SourceInput struct {
	Kind     string   `json:"kind"`
	URL      string   `json:"url"`
	Every    string   `json:"every"`
	Keywords []string `json:"keywords"`
}

// CreateSource adds a listening source to a client. For a feed (rss) it validates the URL
// against the outbound policy and the interval (MinSourceEvery to MaxSourceEvery) and
// creates the schedule, which polls once at once; for a webhook it returns the signing
// secret, shown only here. EINVALID names the faulty field.
func (s *Service) CreateSource(ctx context.Context, actor *store.User, clientID string, in SourceInput) (*store.ListeningSource, string, error) {
	if _, err := s.loadClient(ctx, actor, ActSourcesManage, clientID); err != nil {
		return nil, "", err
	}
	kws, err := validKeywords(in.Keywords)
	if err != nil {
		return nil, "", err
	}
	src := &store.ListeningSource{ID: greenlight.NewID("src_"), ClientID: clientID, Kind: in.Kind, Keywords: kws,
		CreatedBy: actor.ID, CreatedAt: s.now()}
	switch in.Kind {
	case store.SourceRSS:
		every, err := time.ParseDuration(in.Every)
		if err != nil || every < MinSourceEvery || every > MaxSourceEvery {
			return nil, "", greenlight.Errorf(greenlight.EINVALID, "every: a duration between %s and %s (e.g. \"5m\")", MinSourceEvery, MaxSourceEvery)
		}
		if err := s.validWebhookURL(ctx, "url", in.URL); err != nil || in.URL == "" {
			if err == nil {
				err = greenlight.Errorf(greenlight.EINVALID, "url: required")
			}
			return nil, "", err
		}
		src.URL, src.EverySeconds = in.URL, int(every/time.Second)
		if err := s.Store.CreateSource(ctx, src); err != nil {
			return nil, "", err
		}
		if err := s.scheduleSource(ctx, src); err != nil {
			if derr := s.Store.DeleteSource(ctx, clientID, src.ID); derr != nil {
				s.Log.Error("source left without schedule", "source", src.ID, "error", derr)
			}
			return nil, "", err
		}
		s.Log.Info("listening source created", "source", src.ID, "client", clientID, "kind", src.Kind)
		return src, "", nil
	case store.SourceWebhook:
		if in.URL != "" || in.Every != "" {
			return nil, "", greenlight.Errorf(greenlight.EINVALID, "url, every: only for kind rss")
		}
		if s.Secrets == nil {
			return nil, "", greenlight.Errorf(greenlight.EINVALID, "kind: webhook sources need GREENLIGHT_SECRET_KEY to keep their signing secret")
		}
		secret, _ := greenlight.NewToken(WebhookSecretPrefix)
		src.SecretSealed = s.Secrets.Seal([]byte(secret), []byte(src.ID))
		if err := s.Store.CreateSource(ctx, src); err != nil {
			return nil, "", err
		}
		s.Log.Info("listening source created", "source", src.ID, "client", clientID, "kind", src.Kind)
		return src, secret, nil
	}
	return nil, "", greenlight.Errorf(greenlight.EINVALID, "kind: rss or webhook")
}

func validKeywords(in []string) (store.StringList, error) {
	if len(in) > maxKeywords {
		return nil, greenlight.Errorf(greenlight.EINVALID, "keywords: at most %d", maxKeywords)
	}
	out := store.StringList{}
	for i, k := range in {
		k = strings.TrimSpace(k)
		if k == "" || utf8.RuneCountInString(k) > maxKeywordLen {
			return nil, greenlight.Errorf(greenlight.EINVALID, "keywords[%d]: 1 to %d characters", i, maxKeywordLen)
		}
		out = append(out, k)
	}
	return out, nil
}

// scheduleSource creates the schedule polling src every interval, firing once at once.
func (s *Service) scheduleSource(ctx context.Context, src *store.ListeningSource) error {
	id := workflows.SourceScheduleID(src.ID)
	_, err := s.Temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   id,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Duration(src.EverySeconds) * time.Second}}},
		Action: &client.ScheduleWorkflowAction{
			ID: id, Workflow: workflows.SourcePoll, Args: []any{workflows.SourcePollInput{SourceID: src.ID}},
			TaskQueue: s.TaskQueue, WorkflowRunTimeout: 10 * time.Minute,
		},
		Overlap:            enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		TriggerImmediately: true,
		Note:               "greenlight listening source " + src.ID + " of client " + src.ClientID,
	})
	return fromTemporal(err)
}

// Sources lists a client's listening sources with their last poll's outcome.
func (s *Service) Sources(ctx context.Context, actor *store.User, clientID string) ([]store.ListeningSource, error) {
	if _, err := s.loadClient(ctx, actor, ActSourcesRead, clientID); err != nil {
		return nil, err
	}
	return s.Store.Sources(ctx, clientID)
}

// DeleteSource removes a client's source and its schedule; ENOTFOUND for an unknown one.
func (s *Service) DeleteSource(ctx context.Context, actor *store.User, clientID, sourceID string) error {
	if _, err := s.loadClient(ctx, actor, ActSourcesManage, clientID); err != nil {
		return err
	}
	src, err := s.Store.Source(ctx, sourceID)
	if err != nil || src.ClientID != clientID {
		return greenlight.Errorf(greenlight.ENOTFOUND, "source not found")
	}
	if src.Kind == store.SourceRSS {
		err := s.Temporal.ScheduleClient().GetHandle(ctx, workflows.SourceScheduleID(src.ID)).Delete(ctx)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return fromTemporal(err)
		}
	}
	if err := s.Store.DeleteSource(ctx, clientID, sourceID); err != nil {
		return err
	}
	s.Log.Info("listening source deleted", "source", sourceID, "client", clientID)
	return nil
}

// PollSource fetches a feed source once (conditionally: ETag / Last-Modified), stores
// items not seen before that match its keywords as mentions, and applies the client's
// trigger rules; it returns how many mentions it stored. A failed fetch or a malformed
// feed is recorded on the source (last_status error, last_error) and returns nil; an error
// means the outcome could not be recorded. A deleted source is a no-op.
func (s *Service) PollSource(ctx context.Context, sourceID string) (int, error) {
	src, err := s.Store.Source(ctx, sourceID)
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return 0, nil // deleted while its schedule was firing
	} else if err != nil {
		return 0, err
	}
	if src.Kind != store.SourceRSS {
		return 0, nil
	}
	now := s.now()
	fail := func(format string, args ...any) (int, error) {
		msg := fmt.Sprintf(format, args...)
		if len(msg) > maxSourceErrLen {
			msg = msg[:maxSourceErrLen]
		}
		s.Log.Warn("listening source poll failed", "source", src.ID, "error", msg)
		return 0, s.Store.RecordPoll(ctx, src.ID, store.PollRecord{At: now, Status: store.PollError, Error: msg})
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return fail("bad url: %v", err)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8")
	req.Header.Set("User-Agent", "Greenlight-Listening/1")
	if src.ETag != "" {
		req.Header.Set("If-None-Match", src.ETag)
	}
	if src.LastModified != "" {
		req.Header.Set("If-Modified-Since", src.LastModified)
	}
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return fail("fetch: %v", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return 0, s.Store.RecordPoll(ctx, src.ID, store.PollRecord{At: now, Status: store.PollNotModified,
			ETag: src.ETag, LastModified: src.LastModified})
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fail("fetch: HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFeedBytes+1))
	if err != nil {
		return fail("fetch: %v", err)
	}
	if len(body) > maxFeedBytes {
		return fail("feed larger than %d bytes", maxFeedBytes)
	}
	items, err := listening.Parse(strings.NewReader(string(body)))
	if err != nil {
		return fail("parse: %v", err)
	}
	stored, err := s.storeItems(ctx, src, items, now)
	if err != nil {
		return 0, err
	}
	if err := s.Store.RecordPoll(ctx, src.ID, store.PollRecord{At: now, Status: store.PollOK,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}); err != nil {
		return 0, err
	}
	if len(stored) > 0 {
		// The rules run once the poll is recorded; a retried poll finds the items stored
		// and does not run them again (a rule that failed to start is in the log).
		if res := s.afterIngest(ctx, src.ClientID, stored); res.CrisisID != "" {
			s.Log.Info("listening source started a crisis", "source", src.ID, "crisis", res.CrisisID)
		}
	}
	return len(stored), nil
}

// storeItems turns matching items into mentions (through buildMentions, as the API does)
// and stores those the source has not seen, returning them.
func (s *Service) storeItems(ctx context.Context, src *store.ListeningSource, items []listening.Item, now time.Time) ([]store.Mention, error) {
	source := "rss"
	if u, err := url.Parse(src.URL); err == nil && u.Hostname() != "" {
		source = u.Hostname()
	}
	if len(source) > 80 {
		source = source[:80]
	}
	var in []listening.Item
	for _, it := range items {
		if listening.Matches(it.Title+"\n"+it.Text, src.Keywords) && (it.Title != "" || it.Text != "") {
			in = append(in, it)
		}
	}
	var batch []store.SourceMention
	for len(in) > 0 {
		chunk := in[:min(len(in), MaxMentionBatch)]
		in = in[len(chunk):]
		inputs := make([]MentionInput, len(chunk))
		for i, it := range chunk {
			at := it.At
			if at.IsZero() || at.After(now) {
				at = now // undated, or dated ahead of our clock
			}
			text := strings.TrimSpace(it.Title + "\n" + it.Text)
			if r := []rune(text); len(r) > 10000 {
				text = string(r[:10000])
			}
			author := it.Author
			if len(author) > 200 {
				author = strings.ToValidUTF8(author[:200], "")
			}
			link := it.Link
			if link != "" && validHTTPURL("url", link) != nil {
				link = ""
			}
			inputs[i] = MentionInput{Source: source, Author: author, Text: text, URL: link, At: at}
		}
		ms, err := s.buildMentions(src.ClientID, inputs)
		if err != nil {
			return nil, err
		}
		for i, m := range ms {
			batch = append(batch, store.SourceMention{ItemKey: chunk[i].Key, Mention: m})
		}
	}
	if len(batch) == 0 {
		return nil, nil
	}
	return s.Store.InsertSourceMentions(ctx, src.ID, batch, now)
}

// IngestSigned stores a mention batch pushed to a webhook source's inbound URL, after
// checking its signature and timestamp (see listening.Verify). An unknown source, a source
// of another kind and a bad signature are all EUNAUTHORIZED with one message.
func (s *Service) IngestSigned(ctx context.Context, sourceID, timestamp, signature string, body []byte, in func() ([]MentionInput, error)) (*IngestResult, error) {
	denied := greenlight.Errorf(greenlight.EUNAUTHORIZED, "unknown source or bad signature")
	if !greenlight.ValidID("src_", sourceID) || s.Secrets == nil {
		return nil, denied
	}
	src, err := s.Store.Source(ctx, sourceID)
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, denied
	} else if err != nil {
		return nil, err
	}
	if src.Kind != store.SourceWebhook {
		return nil, denied
	}
	secret, err := s.Secrets.Open(src.SecretSealed, []byte(src.ID))
	if err != nil {
		return nil, fmt.Errorf("open source secret: %w", err)
	}
	if err := listening.Verify(string(secret), timestamp, signature, body, s.now()); err != nil {
		return nil, greenlight.Errorf(greenlight.EUNAUTHORIZED, "%v", err)
	}
	mentions, err := in()
	if err != nil {
		return nil, err
	}
	ms, err := s.buildMentions(src.ClientID, mentions)
	if err != nil {
		return nil, err
	}
	if err := s.Store.InsertMentions(ctx, ms); err != nil {
		return nil, err
	}
	if err := s.Store.CountSourceItems(ctx, src.ID, ms); err != nil {
		return nil, err
	}
	return s.afterIngest(ctx, src.ClientID, ms), nil
}
