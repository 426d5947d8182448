package activities_test

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/media"
)

// An approval email shows the version's images (signed thumbnails under the public URL,
// linking to the files) and links its videos; the URLs work as long as the approval link.
// Without a media library the email just links to the page.
func TestApprovalEmailShowsTheMedia(t *testing.T) {
	st := testdb.Open(t, testdb.PostgresURL(t))
	f := setup(t, st)
	ctx := context.Background()
	lib, err := media.New(t.TempDir(), 0, bytes.Repeat([]byte("k"), 32))
	require.NoError(t, err)
	f.acts.Library = lib
	f.post.Version, f.post.Revision = 2, 2
	f.post.Content.Media = []greenlight.MediaRef{
		{ID: "med_photo", SHA256: "aa", ContentType: "image/jpeg", Alt: "Our chef & his soup"},
		{ID: "med_clip", SHA256: "bb", ContentType: "video/mp4"},
	}
	now := time.Now().UTC()
	require.NoError(t, f.acts.RecordPost(ctx, activities.PostRecord{Post: f.post,
		NewVersion: &activities.VersionRecord{Version: 2, Content: f.post.Content, AuthorID: f.author.ID, At: now}}))
	ana := f.approvers()[:1]
	require.NoError(t, f.acts.RequestApproval(ctx, activities.ApprovalRequest{PostID: f.post.ID, ClientID: f.client.ID, Version: 2, Round: 1, Approvers: ana}))
	require.Len(t, f.mail.sent, 1)
	m := f.mail.sent[0]

	require.Regexp(t, `<a href="https://gl\.example/media/med_photo/file\?exp=\d+&amp;sig=[^"]+"><img src="https://gl\.example/media/med_photo/thumb\?exp=\d+&amp;sig=[^"]+" alt="Our chef &amp; his soup"`, m.HTML)
	require.Regexp(t, `<a href="https://gl\.example/media/med_clip/file\?exp=\d+&amp;sig=[^"]+"[^>]*>&#9654; Watch video 2</a>`, m.HTML)
	require.NotContains(t, m.HTML, "med_clip/thumb", "videos have no thumbnail")
	require.Contains(t, m.Text, "2 files with this post:")
	require.Contains(t, m.Text, "Image 1 (Our chef & his soup): https://gl.example/media/med_photo/file?exp=")
	require.Contains(t, m.Text, "Video 2: https://gl.example/media/med_clip/file?exp=")

	l, err := st.LinkByTokenHash(ctx, greenlight.HashToken(linkToken(t, m)))
	require.NoError(t, err)
	for _, raw := range regexp.MustCompile(`https://gl\.example/media/\S+`).FindAllString(m.Text, -1) {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		q := u.Query()
		require.NoError(t, lib.Verify(u.Path, q.Get("exp"), q.Get("sig"), time.Now()), raw)
		require.NoError(t, lib.Verify(u.Path, q.Get("exp"), q.Get("sig"), l.ExpiresAt.Add(-time.Minute)), "valid while the link is")
		require.Error(t, lib.Verify(u.Path, q.Get("exp"), q.Get("sig"), l.ExpiresAt.Add(time.Minute)))
	}

	f.acts.Library = nil
	require.NoError(t, f.acts.RequestApproval(ctx, activities.ApprovalRequest{PostID: f.post.ID, ClientID: f.client.ID, Version: 2, Round: 2, Approvers: ana}))
	require.Len(t, f.mail.sent, 2)
	require.False(t, strings.Contains(f.mail.sent[1].HTML+f.mail.sent[1].Text, "/media/"))
}
