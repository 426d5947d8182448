package linkedin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// uploadImage uploads one image through the Images API: initializeUpload with the author
// as owner, a PUT of the bytes to the upload URL, then the image's status until it is
// AVAILABLE. Nothing is visible until a post references it, so every step may be repeated.
func (s *session) uploadImage(ctx context.Context, m publish.Media, i int) (string, error) {
	data, err := m.Bytes()
	if err != nil {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: fmt.Sprintf("reading image %d", i+1), Err: err}
	}
	const op = "POST /rest/images?action=initializeUpload"
	body, _ := json.Marshal(map[string]any{"initializeUploadRequest": map[string]string{"owner": s.cred.Author}})
	a, err := s.call(ctx, request{method: "POST", url: s.cl.apiURL + "/rest/images?action=initializeUpload", op: op,
		body: body, contentType: "application/json", rest: true}, false)
	if err != nil {
		return "", err
	}
	var init struct {
		Value struct {
			UploadURL string `json:"uploadUrl"`
			Image     string `json:"image"`
		} `json:"value"`
	}
	if err := json.Unmarshal(a.body, &init); err != nil || init.Value.UploadURL == "" || init.Value.Image == "" {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": the answer has no uploadUrl or image", Err: err}
	}
	up, err := url.Parse(init.Value.UploadURL)
	if err != nil || (up.Scheme != "https" && up.Scheme != "http") {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": unusable uploadUrl", Err: err}
	}
	ct := m.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	// The token goes only to LinkedIn's own hosts.
	if _, err := s.call(ctx, request{method: "PUT", url: up.String(), op: "PUT image upload", body: data, contentType: ct}, !s.trusted(up)); err != nil {
		return "", err
	}
	return init.Value.Image, s.waitMedia(ctx, "images", init.Value.Image)
}

// uploadVideo uploads one video through the Videos API: initializeUpload with its size,
// a PUT of each part to the upload URL LinkedIn gives for it (collecting their ETags),
// finalizeUpload, then the video's status until it is AVAILABLE. Nothing is visible until
// a post references it.
func (s *session) uploadVideo(ctx context.Context, m publish.Media) (string, error) {
	data, err := m.Bytes()
	if err != nil {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "reading the video", Err: err}
	}
	const op = "POST /rest/videos?action=initializeUpload"
	body, _ := json.Marshal(map[string]any{"initializeUploadRequest": map[string]any{
		"owner": s.cred.Author, "fileSizeBytes": len(data), "uploadCaptions": false, "uploadThumbnail": false}})
	a, err := s.call(ctx, request{method: "POST", url: s.cl.apiURL + "/rest/videos?action=initializeUpload", op: op,
		body: body, contentType: "application/json", rest: true}, false)
	if err != nil {
		return "", err
	}
	var init struct {
		Value struct {
			Video        string `json:"video"`
			UploadToken  string `json:"uploadToken"`
			Instructions []struct {
				UploadURL string `json:"uploadUrl"`
				FirstByte int64  `json:"firstByte"`
				LastByte  int64  `json:"lastByte"`
			} `json:"uploadInstructions"`
		} `json:"value"`
	}
	if err := json.Unmarshal(a.body, &init); err != nil || init.Value.Video == "" || len(init.Value.Instructions) == 0 {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": the answer has no video or upload instructions", Err: err}
	}
	etags := make([]string, 0, len(init.Value.Instructions))
	for i, in := range init.Value.Instructions {
		up, err := url.Parse(in.UploadURL)
		if err != nil || (up.Scheme != "https" && up.Scheme != "http") || in.FirstByte < 0 || in.LastByte < in.FirstByte || in.LastByte >= int64(len(data)) {
			return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: fmt.Sprintf("%s: unusable upload instruction %d", op, i+1), Err: err}
		}
		pa, err := s.call(ctx, request{method: "PUT", url: up.String(), op: "PUT video upload", body: data[in.FirstByte : in.LastByte+1],
			contentType: "application/octet-stream"}, !s.trusted(up))
		if err != nil {
			return "", err
		}
		etags = append(etags, pa.header.Get("ETag"))
	}
	fin, _ := json.Marshal(map[string]any{"finalizeUploadRequest": map[string]any{
		"video": init.Value.Video, "uploadToken": init.Value.UploadToken, "uploadedPartIds": etags}})
	if _, err := s.call(ctx, request{method: "POST", url: s.cl.apiURL + "/rest/videos?action=finalizeUpload", op: "POST /rest/videos?action=finalizeUpload",
		body: fin, contentType: "application/json", rest: true}, false); err != nil {
		return "", err
	}
	return init.Value.Video, s.waitMedia(ctx, "videos", init.Value.Video)
}

// trusted reports whether u is on a LinkedIn host (or the configured API or auth host).
func (s *session) trusted(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	for _, domain := range []string{"linkedin.com", "licdn.com"} { // LinkedIn's site and media CDN
		if host == domain || strings.HasSuffix(host, "."+domain) {
			return true
		}
	}
	for _, base := range []string{s.cl.apiURL, s.cl.authURL} {
		if b, err := url.Parse(base); err == nil && strings.EqualFold(b.Host, u.Host) {
			return true
		}
	}
	return false
}

// waitMedia reads an image's or a video's status (GET /rest/images/{urn}, GET
// /rest/videos/{urn}) until AVAILABLE, every PollInterval for at most PollTimeout.
func (s *session) waitMedia(ctx context.Context, kind, urn string) error {
	op := "GET /rest/" + kind + "/{urn}"
	interval, timeout := s.c.PollInterval, s.c.PollTimeout
	if interval <= 0 {
		interval = time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		a, err := s.call(ctx, request{method: "GET", url: s.cl.apiURL + "/rest/" + kind + "/" + url.PathEscape(urn), op: op, rest: true}, false)
		if err != nil {
			return err
		}
		var st struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(a.body, &st); err != nil {
			return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": unreadable answer", Err: err}
		}
		switch st.Status {
		case "AVAILABLE":
			return nil
		case "PROCESSING_FAILED":
			return &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: "LinkedIn could not process " + urn}
		}
		if !time.Now().Before(deadline) {
			return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: fmt.Sprintf("%s still %s after %s", urn, st.Status, timeout)}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "stopped while LinkedIn processed " + urn, Err: ctx.Err()}
		case <-t.C:
		}
	}
}

