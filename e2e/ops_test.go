package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRetriedPostCreateIsIdempotent retries POST /api/v1/posts with one Idempotency-Key,
// one after the other and concurrently: one post exists and every success names it.
func TestRetriedPostCreateIsIdempotent(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	c := admin.createClient("any", uniqueEmail("idem"))
	body, err := json.Marshal(map[string]any{
		"client_id": c.ID, "title": "Winter menu", "body": "Retried once",
		"channels": []string{"x"}, "publish_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	})
	require.NoError(t, err)
	post := func(key string, body []byte) (int, map[string]any) {
		req, err := http.NewRequest("POST", editor.base+"/api/v1/posts", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+editor.key)
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m), "%s", data)
		return resp.StatusCode, m
	}
	countPosts := func() int {
		return len(editor.must(200, "GET", "/api/v1/posts?limit=200&client_id="+c.ID, nil)["items"].([]any))
	}

	status, first := post("retry-1", body)
	require.Equal(t, 201, status, "%v", first)
	status, again := post("retry-1", body)
	require.Equal(t, 201, status, "%v", again)
	require.Equal(t, first["id"], again["id"], "the retry answers with the first post")
	require.Equal(t, 1, countPosts())

	status, conflict := post("retry-1", append(bytes.TrimSuffix(body, []byte("}")), []byte(`,"media_urls":[]}`)...))
	require.Equal(t, 409, status, "%v", conflict)
	require.Equal(t, 1, countPosts())

	// Concurrent retries (a client that timed out and retried at once): one post.
	var wg sync.WaitGroup
	ids := make(chan any, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, m := post("retry-2", body)
			switch status {
			case 201:
				ids <- m["id"]
			case 409: // the first one was still in flight
			default:
				t.Errorf("unexpected %d: %v", status, m)
			}
		}()
	}
	wg.Wait()
	close(ids)
	var distinct []any
	for id := range ids {
		if len(distinct) == 0 || distinct[0] != id {
			distinct = append(distinct, id)
		}
	}
	require.Len(t, distinct, 1, "every success names the same post")
	require.Equal(t, 2, countPosts())
}
