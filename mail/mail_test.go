package mail_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/smtptest"
	"github.com/greenlight/greenlight/mail"
)

func TestSMTPSendsTextAndHTMLWithTheKey(t *testing.T) {
	srv, err := smtptest.Start()
	require.NoError(t, err)
	defer srv.Close()
	s, err := mail.NewSMTP(srv.URL(), "approvals@agency.test", "Agence Lumen")
	require.NoError(t, err)
	err = s.Send(context.Background(), mail.Message{
		Key: "post/p1/v1/r1/client-request/ana@brand.test", To: "ana@brand.test", ToName: "Ana",
		Subject: "Approbation : menu d'hiver", Text: "Bonjour Ana", HTML: "<p>Bonjour Ana</p>",
	})
	require.NoError(t, err)
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, []string{"ana@brand.test"}, m.To)
	require.Equal(t, "approvals@agency.test", m.From)
	require.Equal(t, "Approbation : menu d'hiver", m.Subject)
	require.Equal(t, "post/p1/v1/r1/client-request/ana@brand.test", m.Key)
	require.Contains(t, m.Raw, "text/plain")
	require.Contains(t, m.Raw, "text/html")
	require.True(t, strings.Contains(m.Raw, "Message-ID: <") || strings.Contains(m.Raw, "Message-Id: <"))
}

func TestNewSMTPRejectsBadURLs(t *testing.T) {
	tests := []struct{ name, url string }{
		{"scheme", "http://mail.test"},
		{"no host", "smtp://"},
		{"tls mode", "smtp://mail.test?tls=sometimes"},
		{"port", "smtp://mail.test:abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.NewSMTP(tt.url, "a@b.test", "A")
			require.Error(t, err)
		})
	}
}
