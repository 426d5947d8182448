package linkedintest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/linkedintest"
)

// The fake answers as LinkedIn's documentation says, whatever client calls it.
func TestContract(t *testing.T) {
	fake := linkedintest.Start(t, linkedintest.Options{})
	tok := fake.Issue("openid", "profile", "w_member_social")
	post := `{"author":"` + linkedintest.MemberURN() + `","commentary":"Hi","visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED"},"lifecycleState":"PUBLISHED"}`
	multi1 := `{"author":"` + linkedintest.MemberURN() + `","commentary":"One","visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED"},"lifecycleState":"PUBLISHED","content":{"multiImage":{"images":[{"id":"urn:li:image:x"}]}}}`
	rest := map[string]string{"LinkedIn-Version": "202609", "X-Restli-Protocol-Version": "2.0.0", "Content-Type": "application/json"}
	with := func(h map[string]string, drop string, extra ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			if k != drop {
				out[k] = v
			}
		}
		for i := 0; i+1 < len(extra); i += 2 {
			out[extra[i]] = extra[i+1]
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		method   string
		path     string
		token    string
		header   map[string]string
		body     string
		status   int
		code     string
		service  int
		restliID bool
	}{
		{name: "create", method: "POST", path: "/rest/posts", token: tok.AccessToken, header: rest, body: post, status: 201, restliID: true},
		{name: "no version", method: "POST", path: "/rest/posts", token: tok.AccessToken, header: with(rest, "LinkedIn-Version"), body: post, status: 400, code: "VERSION_MISSING"},
		{name: "retired version", method: "POST", path: "/rest/posts", token: tok.AccessToken, header: with(rest, "", "LinkedIn-Version", "202301"), body: post, status: 426, code: "NONEXISTENT_VERSION"},
		{name: "no Rest.li header", method: "POST", path: "/rest/posts", token: tok.AccessToken, header: with(rest, "X-Restli-Protocol-Version"), body: post, status: 400},
		{name: "unknown token", method: "POST", path: "/rest/posts", token: "nope", header: rest, body: post, status: 401, code: "INVALID_ACCESS_TOKEN", service: 65600},
		{name: "multi-image of one", method: "POST", path: "/rest/posts", token: tok.AccessToken, header: rest, body: multi1, status: 422},
		{name: "userinfo unversioned", method: "GET", path: "/v2/userinfo", token: tok.AccessToken, status: 200},
		{name: "organizationAcls needs r_organization_admin", method: "GET", path: "/rest/organizationAcls?q=roleAssignee", token: tok.AccessToken, header: rest, status: 403, code: "ACCESS_DENIED", service: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, fake.URL+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			req.Header.Set("Authorization", "Bearer "+tc.token)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			require.Equal(t, tc.status, resp.StatusCode, string(data))
			require.Equal(t, tc.restliID, resp.Header.Get("x-restli-id") != "")
			if tc.status >= 400 {
				var e struct {
					Status  int    `json:"status"`
					Code    string `json:"code"`
					Service int    `json:"serviceErrorCode"`
					Message string `json:"message"`
				}
				require.NoError(t, json.Unmarshal(data, &e))
				require.Equal(t, tc.status, e.Status)
				if tc.code != "" {
					require.Equal(t, tc.code, e.Code)
				}
				require.Equal(t, tc.service, e.Service)
				require.NotEmpty(t, e.Message)
			}
		})
	}

	t.Run("refresh grant without a partner app", func(t *testing.T) {
		resp, err := http.PostForm(fake.URL+"/oauth/v2/accessToken", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"},
			"client_id": {linkedintest.ClientID}, "client_secret": {linkedintest.ClientSecret}})
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 400, resp.StatusCode)
		require.Empty(t, tok.RefreshToken)
	})
}
