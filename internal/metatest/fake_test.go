package metatest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/metatest"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
)

// The wiring e2e tests use: connect through the providers as a browser would, then publish
// with the picked identity's credentials.
func TestConnectThenPublish(t *testing.T) {
	jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 32)...)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(jpeg)
	}))
	t.Cleanup(files.Close)
	policy, err := outbound.ParsePolicy("127.0.0.1")
	require.NoError(t, err)
	hc := outbound.NewClient(policy, outbound.Options{})
	f := metatest.Start(t, metatest.Options{RequireAppSecretProof: true})
	const redirect = "http://127.0.0.1:1/oauth/callback/"

	tests := []struct{ network, kind string }{{"instagram", "instagram"}, {"facebook", "page"}}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			p := f.Providers(hc)[tt.network]
			browser := outbound.NewClient(policy, outbound.Options{})
			browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := browser.Get(p.AuthorizeURL(metatest.App(), redirect+tt.network, "state-1", ""))
			require.NoError(t, err)
			resp.Body.Close()
			loc, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			require.Equal(t, "state-1", loc.Query().Get("state"))

			tok, err := p.Exchange(context.Background(), metatest.App(), redirect+tt.network, loc.Query().Get("code"), "")
			require.NoError(t, err)
			ids, err := p.Identities(context.Background(), metatest.App(), tok)
			require.NoError(t, err)
			require.NotEmpty(t, ids)
			require.Equal(t, tt.kind, ids[0].Kind)

			conn := f.Connectors(hc)[tt.network]
			acct := publish.Account{ID: "acc-" + tt.network, Network: tt.network, Credentials: ids[0].Credentials}
			res, err := conn.Publish(context.Background(), acct, publish.Post{Key: "post/1/v1/publish/" + tt.network, Text: "Hello " + tt.network,
				Media: []publish.Media{{ContentType: "image/jpeg", Size: int64(len(jpeg)), URL: files.URL + "/a.jpg",
					Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(jpeg))), nil }}}})
			require.NoError(t, err)
			require.NotEmpty(t, res.URL)
			posts := f.Posts()
			require.Equal(t, "Hello "+tt.network, posts[len(posts)-1].Text)
			require.Equal(t, tt.network, posts[len(posts)-1].Network)
		})
	}
}
