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
	"github.com/greenlight/greenlight/internal/pdstest"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish/bluesky"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// Connecting a Bluesky account logs in to a real PDS (the reference implementation, on
// loopback) with the app password and keeps only the sealed session: the answers, the
// database and the log never hold the password or the session's tokens. A wrong password is
// 422 naming the field; users of another client see nothing; removal is 204.
func TestConnectBlueskyAccount(t *testing.T) {
	pds := pdstest.Start(t)
	acct := pds.CreateAccount(t, "brand")

	st := testdb.Open(t, testdb.SQLitePath(t))
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	policy, err := outbound.ParsePolicy("127.0.0.1")
	require.NoError(t, err)
	box, err := secrets.Parse(secrets.NewKey(), "")
	require.NoError(t, err)
	svc := &service.Service{Store: st, Log: log, Outbound: policy, HTTP: outbound.NewClient(policy, outbound.Options{}), Secrets: box}
	app := api.New(api.Config{Service: svc, Store: st, Log: log})

	client := func(name string) string {
		c := &store.Client{ID: greenlight.NewID("cli_"), Name: name, ApprovalPolicy: "any", CreatedAt: time.Now().UTC(),
			Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: name + "@brand.test"}}}
		require.NoError(t, st.CreateClient(ctx, c))
		return c.ID
	}
	mine, other := client("mine"), client("other")
	user := func(name, role string, clients ...string) string {
		key, hash := greenlight.NewToken("glk_")
		require.NoError(t, st.CreateUser(ctx, &store.User{ID: greenlight.NewID("usr_"), Email: name + "@agency.test", Name: name,
			Role: role, APIKeyHash: &hash, CreatedAt: time.Now().UTC(), ClientIDs: clients}))
		return key
	}
	editor, outsider, reviewer := user("ed", "editor", mine), user("out", "admin", other), user("rev", "reviewer")
	call := func(key, method, path string, body any) (int, string) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req := httptest.NewRequest(method, path, rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := app.Test(req, -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	accounts := "/api/v1/clients/" + mine + "/accounts"
	connect := func(password string) map[string]any {
		return map[string]any{"network": "bluesky", "service_url": pds.URL, "handle": acct.Handle, "app_password": password}
	}

	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			name, key string
			body      map[string]any
			status    int
			message   string
		}{
			{"wrong password", editor, connect("not-the-password"), 422, "app_password: wrong handle or app password"},
			{"unknown handle", editor, map[string]any{"network": "bluesky", "service_url": pds.URL, "handle": "nobody.test", "app_password": "x"}, 422, "app_password: wrong handle or app password"},
			{"unknown network", editor, map[string]any{"network": "myspace", "handle": acct.Handle, "app_password": "x"}, 422, "network: must be bluesky"},
			{"no handle", editor, map[string]any{"network": "bluesky", "service_url": pds.URL, "app_password": "x"}, 422, "handle: required"},
			{"no password", editor, map[string]any{"network": "bluesky", "service_url": pds.URL, "handle": acct.Handle}, 422, "app_password: required"},
			{"not a URL", editor, map[string]any{"network": "bluesky", "service_url": "bsky.social", "handle": acct.Handle, "app_password": "x"}, 422, "service_url: must be the server's base URL"},
			{"not http", editor, map[string]any{"network": "bluesky", "service_url": "ftp://127.0.0.1", "handle": acct.Handle, "app_password": "x"}, 422, "service_url: must be an https URL"},
			{"http to a host not allowed", editor, map[string]any{"network": "bluesky", "service_url": "http://8.8.8.8", "handle": acct.Handle, "app_password": "x"}, 422, "service_url: must be https"},
			{"internal host not allowed", editor, map[string]any{"network": "bluesky", "service_url": "https://10.1.2.3", "handle": acct.Handle, "app_password": "x"}, 422, "service_url: outbound request refused"},
			{"a role that may not", reviewer, connect(acct.Password), 403, "cannot connect accounts"},
			{"another client's user", outsider, connect(acct.Password), 404, "client not found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body := call(tc.key, "POST", accounts, tc.body)
				require.Equal(t, tc.status, status, body)
				require.Contains(t, body, tc.message)
			})
		}
		_, body := call(editor, "GET", accounts, nil)
		require.JSONEq(t, `{"items":[]}`, body, "nothing was stored")
	})

	status, body := call(editor, "POST", accounts, connect(acct.Password))
	require.Equal(t, 201, status, body)
	var got struct{ ID, Network, Handle, Status string }
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	require.True(t, greenlight.ValidID("acc_", got.ID), got.ID)
	require.Equal(t, "bluesky", got.Network)
	require.Equal(t, acct.Handle, got.Handle)
	require.Equal(t, "active", got.Status)
	created := body

	// The stored credentials are the sealed session, bound to the account.
	a, err := st.Account(ctx, got.ID)
	require.NoError(t, err)
	plain, err := box.Open(a.Credentials, []byte(a.ID))
	require.NoError(t, err)
	var sess bluesky.Session
	require.NoError(t, json.Unmarshal(plain, &sess))
	require.Equal(t, acct.DID, sess.DID)
	require.NotEmpty(t, sess.AccessJwt)
	require.NotEmpty(t, sess.RefreshJwt)
	require.NotContains(t, string(plain), acct.Password, "the app password is never kept")
	_, err = box.Open(a.Credentials, []byte("acc_other"))
	require.ErrorIs(t, err, secrets.ErrOpen, "sealed for this account only")
	// The kept session is enough to go on without the password: the PDS refreshes it.
	bc, err := bluesky.New(outbound.NewClient(policy, outbound.Options{}), a.ServiceURL)
	require.NoError(t, err)
	bc.Resume(sess)
	require.NoError(t, bc.Refresh(ctx))
	require.NotEqual(t, sess.RefreshJwt, bc.Session().RefreshJwt)

	status, listed := call(editor, "GET", accounts, nil)
	require.Equal(t, 200, status, listed)
	require.Contains(t, listed, got.ID)
	status, reconnected := call(editor, "POST", accounts, connect(acct.Password))
	require.Equal(t, 200, status, "connecting it again is a reconnection: %s", reconnected)
	require.Contains(t, reconnected, got.ID)
	for _, secret := range []string{acct.Password, sess.AccessJwt, sess.RefreshJwt, a.Credentials} {
		for what, text := range map[string]string{"created": created, "listed": listed, "reconnected": reconnected, "log": logs.String()} {
			require.NotContains(t, text, secret, "%s shows a secret", what)
		}
	}
	for _, field := range []string{"password", "jwt", "token", "credentials", "session"} {
		require.NotContains(t, strings.ToLower(listed), field)
	}

	status, body = call(outsider, "GET", accounts, nil)
	require.Equal(t, 404, status, body)
	status, body = call(outsider, "DELETE", accounts+"/"+got.ID, nil)
	require.Equal(t, 404, status, body)
	status, body = call(outsider, "DELETE", "/api/v1/clients/"+other+"/accounts/"+got.ID, nil)
	require.Equal(t, 404, status, "not through its own client either: %s", body)
	status, body = call(reviewer, "DELETE", accounts+"/"+got.ID, nil)
	require.Equal(t, 403, status, body)

	status, body = call(editor, "DELETE", accounts+"/"+got.ID, nil)
	require.Equal(t, 204, status, body)
	_, body = call(editor, "GET", accounts, nil)
	require.JSONEq(t, `{"items":[]}`, body)
	status, _ = call(editor, "DELETE", accounts+"/"+got.ID, nil)
	require.Equal(t, 404, status)
}
