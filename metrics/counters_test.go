package metrics_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/metrics"
)

type sender struct{ err error }

func (s sender) Send(context.Context, mail.Message) error { return s.err }

func emails(t *testing.T, result string) float64 {
	t.Helper()
	fams, err := metrics.New().Registry.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() == "greenlight_emails_total" {
			for _, m := range f.Metric {
				if m.Label[0].GetValue() == result {
					return m.Counter.GetValue()
				}
			}
		}
	}
	return 0
}

// TestCountEmails: every send through the wrapper counts as sent or failed, and the
// sender's error is returned unchanged.
func TestCountEmails(t *testing.T) {
	boom := errors.New("smtp: 451")
	for _, tt := range []struct {
		name   string
		err    error
		result string
	}{
		{"sent", nil, "sent"},
		{"failed", boom, "failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := emails(t, tt.result)
			err := metrics.CountEmails(sender{tt.err}).Send(context.Background(), mail.Message{To: "a@b.test"})
			require.ErrorIs(t, err, tt.err)
			require.Equal(t, before+1, emails(t, tt.result))
		})
	}
}
