package xtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/xtest"
)

// The fake's answers the connector tests do not reach: token endpoint refusals, the
// command form of the chunked upload, failed processing, error and rate-limit shapes.

func call(t *testing.T, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(b) > 0 {
		require.NoError(t, json.Unmarshal(b, &out), string(b))
	}
	return resp.StatusCode, resp.Header, out
}

func form(t *testing.T, method, u, token string, fields map[string]string, media []byte) *http.Request {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		require.NoError(t, w.WriteField(k, v))
	}
	if media != nil {
		part, err := w.CreateFormFile("media", "chunk")
		require.NoError(t, err)
		_, _ = part.Write(media)
	}
	require.NoError(t, w.Close())
	req, err := http.NewRequest(method, u, &b)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func TestTokenEndpoint(t *testing.T) {
	fake := xtest.Start(t, xtest.Options{})
	_, refresh := fake.Grant("tweet.read offline.access", time.Now().Add(time.Hour))
	post := func(basic bool, v url.Values) (int, map[string]any) {
		req, err := http.NewRequest("POST", fake.URL+"/2/oauth2/token", strings.NewReader(v.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basic {
			req.SetBasicAuth(fake.ClientID, fake.ClientSecret)
		}
		st, _, out := call(t, req)
		return st, out
	}
	st, out := post(false, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	require.Equal(t, 401, st)
	require.Equal(t, "unauthorized_client", out["error"])

	st, out = post(true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	require.Equal(t, 200, st)
	require.Equal(t, "bearer", out["token_type"])
	require.EqualValues(t, 7200, out["expires_in"])
	require.NotEqual(t, refresh, out["refresh_token"])

	st, out = post(true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	require.Equal(t, 400, st, "a refresh token works once")
	require.Equal(t, "invalid_request", out["error"])
	require.Equal(t, []string{refresh}, fake.UsedRefreshTokens())

	access, refresh := fake.Grant("tweet.read", time.Now().Add(time.Hour))
	require.NotEmpty(t, access)
	require.Empty(t, refresh, "no offline.access, no refresh token")
}

func TestChunkedCommandFormAndFailedProcessing(t *testing.T) {
	fake := xtest.Start(t, xtest.Options{FailProcessing: true})
	token, _ := fake.Grant("media.write", time.Now().Add(time.Hour))
	data := bytes.Repeat([]byte("v"), 10)

	st, h, out := call(t, form(t, "POST", fake.URL+"/2/media/upload", token, map[string]string{"command": "INIT", "media_type": "video/mp4", "total_bytes": "10", "media_category": "tweet_video"}, nil))
	require.Equal(t, 200, st)
	require.NotEmpty(t, h.Get("x-rate-limit-reset"))
	id := out["data"].(map[string]any)["id"].(string)
	require.True(t, strings.HasPrefix(out["data"].(map[string]any)["media_key"].(string), "7_"))

	st, _, _ = call(t, form(t, "POST", fake.URL+"/2/media/upload", token, map[string]string{"command": "APPEND", "media_id": id, "segment_index": "1"}, data))
	require.Equal(t, 400, st, "segments in order")
	st, _, _ = call(t, form(t, "POST", fake.URL+"/2/media/upload", token, map[string]string{"command": "APPEND", "media_id": id, "segment_index": "0"}, data))
	require.Equal(t, 200, st)
	st, _, out = call(t, form(t, "POST", fake.URL+"/2/media/upload", token, map[string]string{"command": "FINALIZE", "media_id": id}, nil))
	require.Equal(t, 200, st)
	require.Equal(t, "pending", out["data"].(map[string]any)["processing_info"].(map[string]any)["state"])

	req, _ := http.NewRequest("GET", fake.URL+"/2/media/upload?command=STATUS&media_id="+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	st, _, out = call(t, req)
	require.Equal(t, 200, st)
	info := out["data"].(map[string]any)["processing_info"].(map[string]any)
	require.Equal(t, "failed", info["state"])
	require.Contains(t, info["error"].(map[string]any)["message"], "Invalid or Unsupported media")

	body, _ := json.Marshal(map[string]any{"text": "hi", "media": map[string]any{"media_ids": []string{id}}})
	req, _ = http.NewRequest("POST", fake.URL+"/2/tweets", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	st, _, out = call(t, req)
	require.Equal(t, 400, st, "failed media cannot be attached")
	require.Equal(t, "Invalid Request", out["title"])
	require.NotEmpty(t, out["errors"])

	fake.ExpireAccessTokens()
	req, _ = http.NewRequest("GET", fake.URL+"/2/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	st, h, out = call(t, req)
	require.Equal(t, 401, st)
	require.Equal(t, "application/problem+json", h.Get("Content-Type"))
	require.Equal(t, "Unauthorized", out["title"])
	require.EqualValues(t, 401, out["status"])
}
