package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

type fakePinger struct{ err error }

func (f fakePinger) Ping(context.Context) error { return f.err }

type fakeTemporal struct{ err error }

func (f fakeTemporal) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &client.CheckHealthResponse{}, nil
}

// /readyz says ok or fail per dependency; the reason (driver messages with hosts and users)
// goes to the log only.
func TestReadyzReportsOkOrFailWithoutDriverMessages(t *testing.T) {
	dbErr := errors.New(`failed to connect to host=db.internal user=greenlight database=greenlight: password authentication failed`)
	tErr := errors.New("connection error: desc = transport: dial tcp 10.1.2.3:7233: connect: connection refused")
	for _, tc := range []struct {
		name   string
		db, tc error
		status int
		body   string
	}{
		{"all ok", nil, nil, 200, `{"status":"ok","checks":{"database":"ok","temporal":"ok"}}`},
		{"database down", dbErr, nil, 503, `{"status":"fail","checks":{"database":"fail","temporal":"ok"}}`},
		{"temporal down", nil, tErr, 503, `{"status":"fail","checks":{"database":"ok","temporal":"fail"}}`},
		{"both down", dbErr, tErr, 503, `{"status":"fail","checks":{"database":"fail","temporal":"fail"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			app := fiber.New()
			app.Get("/readyz", readyz(fakePinger{tc.db}, fakeTemporal{tc.tc}, slog.New(slog.NewTextHandler(&logs, nil))))
			resp, err := app.Test(httptest.NewRequest("GET", "/readyz", nil), -1)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			require.Equal(t, tc.status, resp.StatusCode)
			require.JSONEq(t, tc.body, string(body))
			for _, e := range []error{tc.db, tc.tc} {
				if e != nil {
					require.Contains(t, logs.String(), e.Error(), "the reason is logged")
				}
			}
		})
	}
}
