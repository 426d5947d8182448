package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

const testMediaMax = 2 << 20

func newMediaApp(t *testing.T, st *store.Store) *fiber.App {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lib, err := media.New(t.TempDir(), testMediaMax, bytes.Repeat([]byte("s"), 32))
	require.NoError(t, err)
	return api.New(api.Config{
		Service: &service.Service{Store: st, Log: log, Library: lib}, Store: st, Log: log, ApproveRateLimit: 30,
		PublicURL: "https://greenlight.example/",
	})
}

func testPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 7, 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func multipartBody(t *testing.T, field, filename string, data []byte) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if field != "" {
		part, err := w.CreateFormFile(field, filename)
		require.NoError(t, err)
		_, err = part.Write(data)
		require.NoError(t, err)
	} else {
		require.NoError(t, w.WriteField("caption", "no file here"))
	}
	require.NoError(t, w.Close())
	return w.FormDataContentType(), b.Bytes()
}

type mediaResp struct {
	ID           string `json:"id"`
	ContentType  string `json:"content_type"`
	Size         int64  `json:"size"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	SHA256       string `json:"sha256"`
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnail_url"`
	Error        struct {
		Code, Message string
	} `json:"error"`
}

func TestMediaUpload(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		app := newMediaApp(t, st)
		newClient := func(name string) *store.Client {
			c := &store.Client{ID: greenlight.NewID("cli_"), Name: name, ApprovalPolicy: greenlight.PolicyAny, CreatedAt: time.Now().UTC()}
			require.NoError(t, st.CreateClient(ctx, c))
			return c
		}
		cl, other := newClient("brand"), newClient("other")
		user := func(key string, role greenlight.Role, clients ...string) {
			h := greenlight.HashToken(key)
			u := &store.User{ID: greenlight.NewID("usr_"), Email: key + "@agency.test", Name: key, Role: string(role), APIKeyHash: &h, ClientIDs: clients, CreatedAt: time.Now().UTC()}
			require.NoError(t, st.CreateUser(ctx, u))
		}
		user("glk_editor", greenlight.RoleEditor)
		user("glk_reviewer", greenlight.RoleReviewer, cl.ID)
		user("glk_outsider", greenlight.RoleAdmin, other.ID)

		send := func(req *http.Request) (int, http.Header, []byte) {
			resp, err := app.Test(req, -1)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			return resp.StatusCode, resp.Header, b
		}
		upload := func(key, clientID, field, filename string, data []byte) (int, mediaResp) {
			ct, body := multipartBody(t, field, filename, data)
			req := httptest.NewRequest("POST", "/api/v1/clients/"+clientID+"/media", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", ct)
			status, _, b := send(req)
			var r mediaResp
			require.NoError(t, json.Unmarshal(b, &r), string(b))
			return status, r
		}
		get := func(key, path string) (int, http.Header, []byte) {
			req := httptest.NewRequest("GET", path, nil)
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			return send(req)
		}

		pic := testPNG(t)
		status, first := upload("glk_editor", cl.ID, "file", "../../beach.png", pic)
		require.Equal(t, 201, status, "%+v", first)
		require.True(t, greenlight.ValidID("med_", first.ID))
		require.Equal(t, "image/png", first.ContentType)
		require.Equal(t, 400, first.Width)
		require.Equal(t, 300, first.Height)
		require.Len(t, first.SHA256, 64)
		require.True(t, strings.HasPrefix(first.URL, "https://greenlight.example/media/"+first.ID+"/file?"), first.URL)

		status, again := upload("glk_editor", cl.ID, "file", "renamed.png", pic)
		require.Equal(t, 200, status, "the same file again is the same media")
		require.Equal(t, first.ID, again.ID)

		t.Run("metadata for staff in scope", func(t *testing.T) {
			status, _, b := get("glk_reviewer", "/api/v1/media/"+first.ID)
			require.Equal(t, 200, status, string(b))
			require.Contains(t, string(b), first.SHA256)
			status, _, _ = get("glk_outsider", "/api/v1/media/"+first.ID)
			require.Equal(t, 404, status, "another client's media does not exist for a limited user")
		})

		t.Run("signed file and thumbnail", func(t *testing.T) {
			u, err := url.Parse(first.URL)
			require.NoError(t, err)
			status, hdr, b := get("", u.RequestURI())
			require.Equal(t, 200, status, string(b))
			require.Equal(t, "image/png", hdr.Get("Content-Type"))
			require.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"))
			require.Contains(t, hdr.Get("Cache-Control"), "private, max-age=")
			require.EqualValues(t, first.Size, len(b))
			require.Equal(t, pic, b, "a PNG without metadata is stored as is")

			ranged := func(h string) (int, http.Header, []byte) {
				req := httptest.NewRequest("GET", u.RequestURI(), nil)
				req.Header.Set("Range", h)
				return send(req)
			}
			status, hdr, b = ranged("bytes=8-15")
			require.Equal(t, 206, status, "players seek with ranges")
			require.Equal(t, pic[8:16], b)
			require.Equal(t, fmt.Sprintf("bytes 8-15/%d", len(pic)), hdr.Get("Content-Range"))
			status, _, b = ranged("bytes=-4")
			require.Equal(t, 206, status)
			require.Equal(t, pic[len(pic)-4:], b)
			status, _, _ = ranged(fmt.Sprintf("bytes=%d-", len(pic)))
			require.Equal(t, 416, status)
			req := httptest.NewRequest("GET", u.RequestURI(), nil)
			req.Header.Set("If-None-Match", `"`+first.SHA256+`"`)
			status, _, _ = send(req)
			require.Equal(t, 304, status)

			tu, err := url.Parse(first.ThumbnailURL)
			require.NoError(t, err)
			status, hdr, b = get("", tu.RequestURI())
			require.Equal(t, 200, status)
			require.Equal(t, "image/jpeg", hdr.Get("Content-Type"))
			require.Equal(t, media.JPEG, media.Sniff(b))

			q := u.Query()
			status, _, _ = get("", "/media/"+first.ID+"/thumb?"+q.Encode())
			require.Equal(t, 403, status, "a file URL's signature does not open the thumbnail")
			q.Set("sig", "x"+q.Get("sig")[1:])
			status, _, _ = get("", u.Path+"?"+q.Encode())
			require.Equal(t, 403, status, "tampered signature")
			status, _, _ = get("", u.Path)
			require.Equal(t, 403, status, "unsigned")
		})

		t.Run("bad uploads", func(t *testing.T) {
			for _, tc := range []struct {
				name, key, field, filename string
				data                       []byte
				status                     int
				msg                        string
			}{
				{"pdf named png", "glk_editor", "file", "cat.png", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj"), 422, "file: not an image or video we accept (JPEG, PNG, WebP, GIF, MP4)"},
				{"truncated", "glk_editor", "file", "cut.png", pic[:len(pic)/3], 422, "file: not a valid PNG image: the file is damaged or truncated"},
				{"no file field", "glk_editor", "", "", nil, 422, "file: missing"},
				{"over the media limit", "glk_editor", "file", "big.png", append(append([]byte{}, pic...), make([]byte, testMediaMax)...), 422, "file: larger than 2 MB"},
				{"reviewers do not upload", "glk_reviewer", "file", "a.png", pic, 403, "cannot upload media"},
				{"a refusal comes before the file", "glk_reviewer", "", "", nil, 403, "cannot upload media"},
				{"other client's", "glk_outsider", "file", "a.png", pic, 404, "client not found"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					status, r := upload(tc.key, cl.ID, tc.field, tc.filename, tc.data)
					require.Equal(t, tc.status, status, "%+v", r)
					require.Contains(t, r.Error.Message, tc.msg)
				})
			}
		})

		t.Run("body limits", func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			go func() { _ = app.Listener(ln) }()
			t.Cleanup(func() { _ = app.Shutdown() })
			// announce sends headers for a body of n bytes, and the body when given.
			announce := func(path string, n int, ct string, body []byte) (int, string) {
				conn, err := net.Dial("tcp", ln.Addr().String())
				require.NoError(t, err)
				defer conn.Close()
				_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer glk_editor\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", path, ct, n)
				require.NoError(t, err)
				if body != nil {
					_, err = conn.Write(body)
					require.NoError(t, err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				require.NoError(t, err)
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			status, body := announce("/api/v1/clients/"+cl.ID+"/media", 4<<20, "multipart/form-data; boundary=b", nil)
			require.Equal(t, 413, status, "over the media limit")
			require.Contains(t, body, `"code":"too_large"`)
			status, _ = announce("/api/v1/posts", (1<<20)+10, "application/json", nil)
			require.Equal(t, 413, status, "JSON routes keep 1 MiB")
			ct, big := multipartBody(t, "file", "notes.txt", bytes.Repeat([]byte("x"), (1<<20)+10))
			status, body = announce("/api/v1/clients/"+cl.ID+"/media", len(big), ct, big)
			require.Equal(t, 422, status, "an upload over 1 MiB is read: %s", body)
			require.Contains(t, body, "file: not an image or video we accept")
		})
	})
}

func TestMediaUploadsDisabledWithoutLibrary(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		app := newApp(t, st, 30)
		c := &store.Client{ID: greenlight.NewID("cli_"), Name: "brand", ApprovalPolicy: greenlight.PolicyAny, CreatedAt: time.Now().UTC()}
		require.NoError(t, st.CreateClient(ctx, c))
		h := greenlight.HashToken("glk_admin")
		require.NoError(t, st.CreateUser(ctx, &store.User{ID: greenlight.NewID("usr_"), Email: "a@agency.test", Name: "A", Role: string(greenlight.RoleAdmin), APIKeyHash: &h, CreatedAt: time.Now().UTC()}))
		ct, body := multipartBody(t, "file", "a.png", testPNG(t))
		req := httptest.NewRequest("POST", "/api/v1/clients/"+c.ID+"/media", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer glk_admin")
		req.Header.Set("Content-Type", ct)
		resp, err := app.Test(req, -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		require.Equal(t, 503, resp.StatusCode, string(b))
		require.Contains(t, string(b), "media uploads are not configured")
	})
}
