package x

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// Publish checks p against X's rules, refreshes the account's tokens when they expire
// within RefreshAhead, uploads p's media (invisible, safe to repeat: images by the simple
// upload, GIFs and videos in chunks then polled until processed, alt text through
// POST /2/media/metadata), then makes the one POST /2/tweets. A 401 refreshes the tokens
// once and repeats the call that was refused.
//
// Errors are *publish.Error: a broken rule, 400, 403 (duplicate content…) KindPermanent with
// X's message; 429 KindRateLimit with RetryAfter from x-rate-limit-reset; 401 after a
// refresh, or a refused refresh, KindAuth; 5xx and lost answers on uploads KindRetryable.
// POST /2/tweets has no idempotency key: when its answer is lost (or a gateway error other
// than 503 comes back) the tweet may exist, and the error is KindAmbiguous.
func (c *Connector) Publish(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error) {
	if err := Check(p); err != nil {
		return publish.Result{}, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: err.Error(), Err: err}
	}
	cred, err := c.refreshed(ctx, &acct, RefreshAhead, "")
	if err != nil {
		return publish.Result{}, err
	}
	retried := false
	// call runs fn with the access token, and once more with a refreshed one after a 401.
	call := func(fn func(token string) error) error {
		err := fn(cred.AccessToken)
		var e *apiError
		if !retried && errors.As(err, &e) && e.status == 401 {
			retried = true
			next, rerr := c.refreshed(ctx, &acct, 0, cred.AccessToken)
			if rerr != nil {
				return rerr
			}
			cred = next
			err = fn(cred.AccessToken)
		}
		return err
	}

	ids := make([]string, 0, len(p.Media))
	for i, m := range p.Media {
		var id string
		err := call(func(token string) (err error) {
			id, err = c.upload(ctx, token, m)
			if err == nil && m.Alt != "" && !strings.HasPrefix(m.ContentType, "video/") {
				err = c.setAlt(ctx, token, id, m.Alt)
			}
			return err
		})
		if err != nil {
			return publish.Result{}, uploadError(err, i)
		}
		ids = append(ids, id)
	}

	var tweet struct {
		Data struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"data"`
	}
	body := map[string]any{}
	if p.Text != "" {
		body["text"] = p.Text // a post of media alone carries no text
	}
	if len(ids) > 0 {
		body["media"] = map[string]any{"media_ids": ids}
	}
	payload, _ := json.Marshal(body)
	err = call(func(token string) error {
		return c.do(ctx, request{method: "POST", url: c.api("/2/tweets"), op: "POST /2/tweets", token: token,
			contentType: "application/json", body: payload}, &tweet)
	})
	if err != nil {
		return publish.Result{}, createError(err)
	}
	if tweet.Data.ID == "" {
		return publish.Result{}, &publish.Error{Kind: publish.KindAmbiguous, Network: Network, Message: "POST /2/tweets answered without the tweet's id"}
	}
	user := cred.Username
	if user == "" {
		user = strings.TrimPrefix(acct.Handle, "@")
	}
	if user == "" {
		user = "i/web"
	}
	return publish.Result{RemoteID: tweet.Data.ID, URL: "https://x.com/" + user + "/status/" + tweet.Data.ID}, nil
}

func (c *Connector) api(path string) string      { return strings.TrimSuffix(c.APIURL, "/") + path }
func (c *Connector) uploadAt(path string) string { return strings.TrimSuffix(c.UploadURL, "/") + path }

// uploadError classifies a failed upload: nothing visible happened, so lost answers and
// 5xx are retryable.
func uploadError(err error, i int) error {
	if _, ok := err.(*publish.Error); ok {
		return err // already classified (refresh, media processing)
	}
	var e *apiError
	if !errors.As(err, &e) {
		return err
	}
	pe := e.publish(e.kind())
	pe.Message = fmt.Sprintf("media %d: %s", i+1, pe.Message)
	return pe
}

// createError classifies a failed POST /2/tweets. Without an idempotency key, an answer that
// never came (once the request may have left), or a gateway error other than 503 (X
// overloaded, nothing done), leaves the tweet unknown: KindAmbiguous.
func createError(err error) error {
	if _, ok := err.(*publish.Error); ok {
		return err // already classified (a refused refresh)
	}
	var e *apiError
	if !errors.As(err, &e) {
		return err
	}
	switch {
	case e.status == 0 && !notSent(e.err):
		pe := e.publish(publish.KindAmbiguous)
		pe.Message = "POST /2/tweets: the answer was lost; the tweet may or may not exist: check the account before publishing again"
		return pe
	case e.status >= 500 && e.status != 503:
		return e.publish(publish.KindAmbiguous)
	}
	return e.publish(e.kind())
}

// upload sends one file to X and returns its media id, ready to attach.
func (c *Connector) upload(ctx context.Context, token string, m publish.Media) (string, error) {
	kind, _ := mediaKind(m.ContentType)
	if m.Open == nil {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "the media file cannot be read"}
	}
	if kind == "image" {
		return c.uploadSimple(ctx, token, m)
	}
	return c.uploadChunked(ctx, token, m, "tweet_"+kind)
}

type mediaAnswer struct {
	Data struct {
		ID             string          `json:"id"`
		MediaKey       string          `json:"media_key"`
		ProcessingInfo *processingInfo `json:"processing_info"`
	} `json:"data"`
}

type processingInfo struct {
	State          string `json:"state"` // pending, in_progress, succeeded, failed
	CheckAfterSecs int    `json:"check_after_secs"`
	Error          *struct {
		Code    int    `json:"code"`
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
}

func readAll(m publish.Media) ([]byte, error) {
	data, err := m.Bytes()
	if err != nil {
		return nil, &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "the media file cannot be read", Err: err}
	}
	return data, nil
}

// multipartBody builds a form with fields, then the file as "media".
func multipartBody(fields [][2]string, contentType string, data []byte) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		_ = w.WriteField(f[0], f[1])
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="media"; filename="media"`)
	h.Set("Content-Type", contentType)
	part, _ := w.CreatePart(h)
	_, _ = part.Write(data)
	_ = w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// uploadSimple uploads an image in one POST /2/media/upload (multipart: media,
// media_category tweet_image, media_type).
func (c *Connector) uploadSimple(ctx context.Context, token string, m publish.Media) (string, error) {
	data, err := readAll(m)
	if err != nil {
		return "", err
	}
	body, ct := multipartBody([][2]string{{"media_category", "tweet_image"}, {"media_type", m.ContentType}}, m.ContentType, data)
	var a mediaAnswer
	if err := c.do(ctx, request{method: "POST", url: c.uploadAt("/2/media/upload"), op: "POST /2/media/upload", token: token, contentType: ct, body: body}, &a); err != nil {
		return "", err
	}
	if a.Data.ID == "" {
		return "", &apiError{op: "POST /2/media/upload", status: 200, message: "no media id in the answer"}
	}
	return a.Data.ID, nil
}

// uploadChunked uploads a GIF or a video: initialize, append ChunkSize segments, finalize,
// then read the STATUS until X has processed it.
func (c *Connector) uploadChunked(ctx context.Context, token string, m publish.Media, category string) (string, error) {
	r, err := m.Open()
	if err != nil {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "the media file cannot be read", Err: err}
	}
	defer r.Close()
	size := m.Size
	if size <= 0 {
		data, err := io.ReadAll(r)
		if err != nil {
			return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "the media file cannot be read", Err: err}
		}
		size, r = int64(len(data)), io.NopCloser(bytes.NewReader(data))
	}
	init, _ := json.Marshal(map[string]any{"media_type": m.ContentType, "total_bytes": size, "media_category": category})
	var a mediaAnswer
	if err := c.do(ctx, request{method: "POST", url: c.uploadAt("/2/media/upload/initialize"), op: "POST /2/media/upload/initialize",
		token: token, contentType: "application/json", body: init}, &a); err != nil {
		return "", err
	}
	id := a.Data.ID
	if id == "" {
		return "", &apiError{op: "POST /2/media/upload/initialize", status: 200, message: "no media id in the answer"}
	}
	chunk := c.ChunkSize
	if chunk <= 0 {
		chunk = 4 << 20
	}
	buf := make([]byte, chunk)
	for seg := 0; ; seg++ {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			body, ct := multipartBody([][2]string{{"segment_index", strconv.Itoa(seg)}}, "application/octet-stream", buf[:n])
			if err := c.do(ctx, request{method: "POST", url: c.uploadAt("/2/media/upload/" + url.PathEscape(id) + "/append"), op: "POST /2/media/upload/{id}/append",
				token: token, contentType: ct, body: body}, nil); err != nil {
				return "", err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "the media file cannot be read", Err: rerr}
		}
	}
	a = mediaAnswer{}
	if err := c.do(ctx, request{method: "POST", url: c.uploadAt("/2/media/upload/" + url.PathEscape(id) + "/finalize"), op: "POST /2/media/upload/{id}/finalize",
		token: token}, &a); err != nil {
		return "", err
	}
	return id, c.awaitProcessing(ctx, token, id, a.Data.ProcessingInfo)
}

// awaitProcessing reads GET /2/media/upload?command=STATUS until the media succeeded
// (no processing_info, or state succeeded), waiting check_after_secs between reads. A
// failed state is KindPermanent with X's message; running out of PollTimeout KindRetryable.
func (c *Connector) awaitProcessing(ctx context.Context, token, id string, info *processingInfo) error {
	deadline := c.clock().Add(c.PollTimeout)
	for {
		if info == nil || info.State == "succeeded" {
			return nil
		}
		if info.State == "failed" {
			msg := "X could not process the media"
			if info.Error != nil && info.Error.Message != "" {
				msg += ": " + info.Error.Message
			}
			return &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: msg}
		}
		wait := time.Duration(max(info.CheckAfterSecs, 1)) * time.Second
		if c.PollInterval > 0 {
			wait = c.PollInterval
		}
		if c.PollTimeout > 0 && c.clock().Add(wait).After(deadline) {
			return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "X is still processing the media: try again later"}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "cancelled while X processed the media", Err: ctx.Err()}
		case <-t.C:
		}
		var a mediaAnswer
		q := url.Values{"command": {"STATUS"}, "media_id": {id}}
		if err := c.do(ctx, request{method: "GET", url: c.uploadAt("/2/media/upload?" + q.Encode()), op: "GET /2/media/upload (STATUS)", token: token}, &a); err != nil {
			return err
		}
		info = a.Data.ProcessingInfo
	}
}

// setAlt gives an uploaded image or GIF its alt text (POST /2/media/metadata: the v2
// endpoint, reached with the same OAuth 2.0 user token as the upload; the v1.1
// metadata/create endpoint belongs to the retired v1.1 upload host).
func (c *Connector) setAlt(ctx context.Context, token, id, alt string) error {
	body, _ := json.Marshal(map[string]any{"id": id, "metadata": map[string]any{"alt_text": map[string]string{"text": alt}}})
	return c.do(ctx, request{method: "POST", url: c.api("/2/media/metadata"), op: "POST /2/media/metadata", token: token,
		contentType: "application/json", body: body}, nil)
}
