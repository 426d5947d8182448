package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/pdftext"
)

// getWith requests an API path with an Accept header.
func (a *api) getWith(path, accept string) response {
	a.t.Helper()
	req, err := http.NewRequest("GET", a.base+path, nil)
	require.NoError(a.t, err)
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

// Staff comment internally and for the client; the client's email and approval page never
// show the internal comment; the approver comments from the page, approves, and the
// certificate names the link the approval came through.
func TestCommentsAndCertificateWalkthrough(t *testing.T) {
	const secret = "INTERNAL-7f3a marge négociée"
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"digest_window": "0s", // one approval email per post
		"name":          "Crêperie Façon Müller", "approval_policy": "any",
		"approvers": []map[string]string{{"name": "Anaïs", "email": ana}},
	})
	id := editor.createPost(c["id"].(string), time.Hour, map[string]any{"body": "Crème brûlée, garçon, über-süß : à découvrir !"})["id"].(string)

	editor.must(201, "POST", "/api/v1/posts/"+id+"/comments", map[string]any{"body": secret, "visibility": "internal"})
	editor.must(201, "POST", "/api/v1/posts/"+id+"/comments", map[string]any{"body": "Anaïs, la photo est celle de mars.", "visibility": "client"})
	require.Equal(t, 422, editor.do("POST", "/api/v1/posts/"+id+"/comments", map[string]any{"body": "", "visibility": "internal"}).Status)

	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve", "comment": "OK pour moi"})
	reviewer.must(201, "POST", "/api/v1/posts/"+id+"/comments", map[string]any{"body": secret + " (bis)", "visibility": "internal"})
	link := linkIn(t, waitMail(t, ana, 1)[0])

	p := page(t, link)
	require.Equal(t, 200, p.Status)
	require.Contains(t, string(p.Body), "Anaïs, la photo est celle de mars.")
	require.NotContains(t, string(p.Body), "INTERNAL-7f3a")

	r := form(t, link+"/comment", url.Values{"body": {"Peut-on publier à 18h ?"}}, "text/html")
	require.Equal(t, 200, r.Status, "the redirect leads back to the page")
	require.Contains(t, string(r.Body), "Peut-on publier à 18h ?")
	require.NotContains(t, string(r.Body), "INTERNAL-7f3a")

	done := form(t, link, url.Values{"decision": {"approve"}, "comment": {"Parfait, merci"}}, "application/json")
	require.Equal(t, 200, done.Status, "%s", done.Body)
	require.Equal(t, 410, form(t, link+"/comment", url.Values{"body": {"Encore un mot"}}, "application/json").Status, "a used link cannot comment")

	var list struct {
		Items []struct {
			Visibility, Body string
			Version          int
			Author           struct{ Kind, Name string }
		}
	}
	require.NoError(t, json.Unmarshal(reviewer.do("GET", "/api/v1/posts/"+id+"/comments", nil).Body, &list))
	require.Len(t, list.Items, 4)
	require.Equal(t, "approver", list.Items[3].Author.Kind)
	require.Equal(t, "Anaïs", list.Items[3].Author.Name)
	require.Equal(t, "client", list.Items[3].Visibility)
	require.Equal(t, 1, list.Items[3].Version)

	// Every email the client received, HTML and text, is free of internal comments.
	for _, m := range mails(t, ana) {
		require.NotContains(t, m.Text, "INTERNAL-7f3a", m.Subject)
		require.NotContains(t, m.HTML, "INTERNAL-7f3a", m.Subject)
	}

	// The certificate: the decision came through this link.
	token := link[strings.LastIndex(link, "/")+1:]
	l, err := stack.Store.LinkByTokenHash(context.Background(), greenlight.HashToken(token))
	require.NoError(t, err)
	require.NotNil(t, l.DecidedAt)
	var cert struct {
		Version struct {
			SHA256 string
			Body   string
		} `json:"approved_version"`
		Decisions []struct {
			Stage, Role, Decision, Comment string
			LinkID                         string `json:"link_id"`
		}
	}
	cr := editor.getWith("/api/v1/posts/"+id+"/certificate", "application/json")
	require.Equal(t, 200, cr.Status, "%s", cr.Body)
	require.NoError(t, json.Unmarshal(cr.Body, &cert))
	require.Len(t, cert.Decisions, 2)
	require.Equal(t, "reviewer", cert.Decisions[0].Role)
	require.Equal(t, "client", cert.Decisions[1].Stage)
	require.Equal(t, l.ID, cert.Decisions[1].LinkID)
	require.Len(t, cert.Version.SHA256, 64)

	pdf := editor.getWith("/api/v1/posts/"+id+"/certificate", "application/pdf")
	require.Equal(t, 200, pdf.Status)
	require.Equal(t, "application/pdf", pdf.Header.Get("Content-Type"))
	text := pdftext.Text(t, pdf.Body)
	for _, want := range []string{"Crêperie Façon Müller", "Crème brûlée, garçon, über-süß : à découvrir !", cert.Version.SHA256,
		"(reviewer, internal stage)", "approve — Anaïs (client approver, client stage)", "Through link: " + l.ID, "Parfait, merci"} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, "INTERNAL-7f3a")
}
