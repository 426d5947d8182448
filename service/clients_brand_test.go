package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// A client's brand settings are validated (422 naming the field), defaulted (UTC, en) and
// stored on PostgreSQL.
func TestCreateClientBrandSettings(t *testing.T) {
	st := testdb.Open(t, testdb.PostgresURL(t))
	admin := &store.User{ID: "usr_admin", Role: string(greenlight.RoleAdmin)}
	svc := &service.Service{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   service.Brand
		want service.Brand
		err  string
	}{
		{"defaults", service.Brand{}, service.Brand{TimeZone: "UTC", Language: "en"}, ""},
		{"all set", service.Brand{TimeZone: "Europe/Paris", Language: "fr", SenderName: "Maison Lune", BrandColor: "#1A2B3C"},
			service.Brand{TimeZone: "Europe/Paris", Language: "fr", SenderName: "Maison Lune", BrandColor: "#1a2b3c"}, ""},
		{"unknown zone", service.Brand{TimeZone: "Mars/Olympus"}, service.Brand{}, "time_zone:"},
		{"Local is not a zone", service.Brand{TimeZone: "Local"}, service.Brand{}, "time_zone:"},
		{"language", service.Brand{Language: "de"}, service.Brand{}, "language:"},
		{"sender name with a newline", service.Brand{SenderName: "A\r\nBcc: x@y"}, service.Brand{}, "sender_name:"},
		{"short colour", service.Brand{BrandColor: "#fff"}, service.Brand{}, "brand_color:"},
		{"colour without #", service.Brand{BrandColor: "112233"}, service.Brand{}, "brand_color:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := svc.CreateClient(ctx, admin, service.NewClient{Name: "Brand", Brand: tc.in,
				Approvers: []service.NewApprover{{Name: "Ana", Email: "ana@brand.test"}}})
			if tc.err != "" {
				require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err), "answered 422")
				require.Contains(t, greenlight.ErrorMessage(err), tc.err)
				return
			}
			require.NoError(t, err)
			got, err := st.Client(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, tc.want, service.Brand{TimeZone: got.TimeZone, Language: got.Language, SenderName: got.SenderName, BrandColor: got.BrandColor})
		})
	}
}
