package api

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/service"
)

// The editor's form turns into PostFields.Media: the ids in the order posted (a repeat
// counts once), each with its alt text; a form without the media editor leaves media
// unchanged (nil), one with it and no item clears them.
func TestEditorFormMedia(t *testing.T) {
	for _, tc := range []struct {
		name string
		form url.Values
		want *[]service.MediaInput
	}{
		{"ordered with alt", url.Values{"has_content": {"1"}, "media_form": {"1"}, "media_id": {"med_b", "med_a", "med_b"},
			"media_alt_med_a": {" A wheel "}, "media_alt_med_b": {"Blue"}},
			&[]service.MediaInput{{ID: "med_b", Alt: "Blue"}, {ID: "med_a", Alt: "A wheel"}}},
		{"editor present, none left", url.Values{"has_content": {"1"}, "media_form": {"1"}}, &[]service.MediaInput{}},
		{"no media editor", url.Values{"has_content": {"1"}, "media_id": {"med_a"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &pages{}
			app := fiber.New()
			var got service.PostFields
			app.Post("/", func(c *fiber.Ctx) error {
				var err error
				got, err = p.postForm(c)
				return err
			})
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := app.Test(req, -1)
			require.NoError(t, err)
			require.Equal(t, 200, resp.StatusCode)
			require.Equal(t, tc.want, got.Media)
		})
	}
}
