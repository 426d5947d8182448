package metatest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) pageOwner(w http.ResponseWriter, page, token string) bool {
	if (page == PageID && token == PageToken) || (page == Page2ID && token == Page2Token) {
		return true
	}
	if page != PageID && page != Page2ID {
		graphError(w, 400, 100, 33, "GraphMethodException", "Unsupported post request. Object with ID '"+page+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
		return false
	}
	graphError(w, 403, 200, 0, "OAuthException", "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission")
	return false
}

func (s *Server) newPagePost(page, text, link, typ string, media []string) Post {
	n := s.next()
	id := fmt.Sprintf("%s_%d", page, 122000000000000000+n)
	p := Post{Network: "facebook", ID: id, Account: page, Text: text, Link: link, Type: typ, Media: media,
		Permalink: fmt.Sprintf("https://www.facebook.com/%s/posts/%d", page, 122000000000000000+n), Time: time.Now().UTC()}
	s.posts = append(s.posts, p)
	return p
}

func (s *Server) feed(w http.ResponseWriter, r *http.Request, page string) {
	f := r.Form
	message, link := f.Get("message"), f.Get("link")
	var media []string
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; ; i++ {
		v := f.Get(fmt.Sprintf("attached_media[%d]", i))
		if v == "" {
			break
		}
		var am struct {
			MediaFBID string `json:"media_fbid"`
		}
		if err := json.Unmarshal([]byte(v), &am); err != nil || am.MediaFBID == "" {
			graphError(w, 400, 100, 0, "OAuthException", "(#100) param attached_media must be an array of objects with media_fbid")
			return
		}
		ph, ok := s.photos[am.MediaFBID]
		if !ok || ph.page != page || ph.published {
			graphError(w, 400, 100, 0, "OAuthException", "(#100) attached_media: "+am.MediaFBID+" is not an unpublished photo of this Page")
			return
		}
		ph.published = true
		media = append(media, am.MediaFBID)
	}
	if message == "" && link == "" && len(media) == 0 {
		graphError(w, 400, 100, 0, "OAuthException", "(#100) Missing message or attachment")
		return
	}
	typ := "status"
	if len(media) > 0 {
		typ = "album"
	}
	p := s.newPagePost(page, message, link, typ, media)
	writeJSON(w, 200, map[string]string{"id": p.ID})
}

func (s *Server) uploadPhoto(w http.ResponseWriter, r *http.Request, page string) {
	var ct string
	if r.MultipartForm != nil && len(r.MultipartForm.File["source"]) > 0 {
		fh := r.MultipartForm.File["source"][0]
		file, err := fh.Open()
		if err != nil {
			graphError(w, 400, 324, 0, "OAuthException", "(#324) Requires upload file")
			return
		}
		head, _ := io.ReadAll(bufio.NewReader(io.LimitReader(file, 512)))
		_ = file.Close()
		ct = http.DetectContentType(head)
	} else if u := r.Form.Get("url"); u != "" {
		var why string
		if ct, why = s.fetchMedia(u); why != "" {
			graphError(w, 400, 324, 0, "OAuthException", "(#324) "+why)
			return
		}
	} else {
		graphError(w, 400, 324, 0, "OAuthException", "(#324) Requires upload file")
		return
	}
	if !strings.HasPrefix(ct, "image/") {
		graphError(w, 400, 324, 2069019, "OAuthException", "(#324) Missing or invalid image file")
		return
	}
	published := r.Form.Get("published") != "false"
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strconv.Itoa(122100000000000000 + s.next())
	s.photos[id] = &photo{id: id, page: page, contentType: ct, published: published}
	if !published {
		writeJSON(w, 200, map[string]string{"id": id})
		return
	}
	p := s.newPagePost(page, r.Form.Get("caption"), "", "photo", []string{id})
	writeJSON(w, 200, map[string]string{"id": id, "post_id": p.ID})
}
