// Package publish delivers approved posts: to a client's webhook in production, or into the
// dev publisher's table in dev mode. Every publication carries an idempotency key.
package publish

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/store"
)

// Publication is one version of a post going out on one channel.
type Publication struct {
	Key        string    `json:"idempotency_key"`
	ClientID   string    `json:"client_id"`
	PostID     string    `json:"post_id"`
	Version    int       `json:"version"`
	Channel    string    `json:"channel"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	MediaURLs  []string  `json:"media_urls"`
	PublishAt  time.Time `json:"publish_at"`
	WebhookURL string    `json:"-"`
}

// Publisher publishes and returns a reference to the publication. A greenlight.Error with
// code EINVALID means retrying cannot help; any other error may be retried.
type Publisher interface {
	Publish(ctx context.Context, p Publication) (string, error)
}

// IdempotencyHeader carries the publication's idempotency key to webhook receivers.
const IdempotencyHeader = "Idempotency-Key"

// SignatureHeader carries "sha256=<hex HMAC of the body>" when a secret is configured.
const SignatureHeader = "X-Greenlight-Signature"

// Webhook POSTs each publication as JSON to the client's webhook URL.
type Webhook struct {
	// HTTP is the shared outbound client (outbound.NewClient); when nil, one that allows no
	// internal address.
	HTTP   *http.Client
	Secret string // optional HMAC key for SignatureHeader
}

// Publish sends p. 2xx is success (the body's "id" field, if any, is the reference); 408,
// 429, 5xx and network errors are retryable; a refused destination (outbound.ErrRefused)
// and any other status are permanent. Errors name the status or the cause only: nothing
// the receiver wrote, nor the URL, reaches an error and so the workflow's history.
func (w *Webhook) Publish(ctx context.Context, p Publication) (string, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return "", greenlight.Errorf(greenlight.EINVALID, "webhook URL is not valid")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Greenlight-Publisher/1")
	req.Header.Set(IdempotencyHeader, p.Key)
	if w.Secret != "" {
		mac := hmac.New(sha256.New, []byte(w.Secret))
		mac.Write(body)
		req.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	client := w.HTTP
	if client == nil {
		client = outbound.NewClient(nil, outbound.Options{})
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, outbound.ErrRefused) {
			return "", greenlight.Errorf(greenlight.EINVALID, "webhook: %s", outbound.Cause(err))
		}
		return "", fmt.Errorf("webhook: %s", outbound.Cause(err))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		var out struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(data, &out)
		// The reference is recorded: keep it short and printable.
		if out.ID = outbound.Sanitize(out.ID, 200); out.ID == "" {
			out.ID = p.Key
		}
		return out.ID, nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", errors.New(outbound.Describe("webhook", resp.StatusCode))
	default:
		return "", greenlight.Errorf(greenlight.EINVALID, "%s: the post was refused", outbound.Describe("webhook", resp.StatusCode))
	}
}

// Recorder is the dev publisher: it records publications in the database.
type Recorder struct {
	Store *store.Store
}

// Publish records p once per idempotency key.
func (r *Recorder) Publish(ctx context.Context, p Publication) (string, error) {
	rec := &store.DevPublication{
		ID: greenlight.NewID("pub_"), IdemKey: p.Key, ClientID: p.ClientID, PostID: p.PostID, Version: p.Version,
		Channel: p.Channel, Title: p.Title, Body: p.Body, MediaURLs: p.MediaURLs, PublishedAt: time.Now().UTC(),
	}
	if err := r.Store.SaveDevPublication(ctx, rec); err != nil {
		return "", err
	}
	return p.Key, nil
}

// Router sends a publication to the client's webhook when it has one, else to Fallback.
// Without a fallback (production), a client without a webhook cannot be published to.
type Router struct {
	Webhook  Publisher
	Fallback Publisher
}

// Publish routes p.
func (r *Router) Publish(ctx context.Context, p Publication) (string, error) {
	if p.WebhookURL != "" {
		return r.Webhook.Publish(ctx, p)
	}
	if r.Fallback != nil {
		return r.Fallback.Publish(ctx, p)
	}
	return "", greenlight.Errorf(greenlight.EINVALID, "client %s has no publishing webhook configured", p.ClientID)
}
