package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// Through a walkthrough-like flow (a user created, invited, re-keyed; their key and invite
// used, forged and failing), no API key or invite token reaches the log, at any level.
func TestSecretsNeverReachTheLog(t *testing.T) {
	st := testdb.Open(t, testdb.SQLitePath(t))
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := &service.Service{Store: st, Log: log}
	app := api.New(api.Config{Service: svc, Store: st, Log: log, Dev: true})

	adminKey, hash := greenlight.NewToken("glk_")
	admin := &store.User{ID: greenlight.NewID("usr_"), Email: "admin@agency.test", Name: "Admin", Role: string(greenlight.RoleAdmin),
		APIKeyHash: &hash, CreatedAt: time.Now().UTC()}
	require.NoError(t, st.CreateUser(ctx, admin))
	call := func(method, path, key string, body any) (int, []byte) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req := httptest.NewRequest(method, path, rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := app.Test(req, -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}

	status, body := call("POST", "/api/v1/users", adminKey, map[string]any{"email": "eve@agency.test", "name": "Eve", "role": "editor"})
	require.Equal(t, 201, status, string(body))
	var created struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	require.NoError(t, json.Unmarshal(body, &created))
	require.NotEmpty(t, created.APIKey)
	status, _ = call("GET", "/api/v1/clients", created.APIKey, nil)
	require.Equal(t, 200, status)

	invite, err := svc.CreateInvite(ctx, admin, created.ID)
	require.NoError(t, err)
	status, _ = call("GET", "/invite/"+invite, "", nil)
	require.Equal(t, 200, status)
	newKey, err := svc.NewKey(ctx, admin, created.ID)
	require.NoError(t, err)
	status, _ = call("GET", "/api/v1/clients", newKey, nil)
	require.Equal(t, 200, status)
	status, _ = call("GET", "/api/v1/clients", created.APIKey, nil)
	require.Equal(t, 401, status, "the old key was replaced")
	status, _ = call("GET", "/api/v1/posts/"+newKey, newKey, nil)
	require.NotEqual(t, 200, status)

	// With the database gone every request fails internally, and failures are logged.
	require.NoError(t, st.Close())
	for _, path := range []string{"/invite/" + invite, "/approve/" + invite, "/api/v1/clients"} {
		status, _ = call("GET", path, newKey, nil)
		require.GreaterOrEqual(t, status, 500, path)
	}
	require.Contains(t, logs.String(), "request failed", "the failures were logged")
	require.Contains(t, logs.String(), "/invite/<token>")

	for name, secret := range map[string]string{"admin key": adminKey, "created key": created.APIKey, "invite": invite, "new key": newKey} {
		require.NotContains(t, logs.String(), secret, "%s in the log", name)
		require.NotContains(t, logs.String(), strings.SplitN(secret, "_", 2)[1], "%s (without prefix) in the log", name)
	}
}
