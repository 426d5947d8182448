package metatest

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (s *Server) igOwner(w http.ResponseWriter, ig, token string) bool {
	if ig != IGUserID {
		graphError(w, 400, 100, 33, "GraphMethodException", "Unsupported post request. Object with ID '"+ig+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
		return false
	}
	if token != PageToken {
		graphError(w, 403, 10, 0, "OAuthException", "(#10) Application does not have permission for this action")
		return false
	}
	return true
}

// fetchMedia fetches raw as Meta does and returns its content type, or why it failed.
func (s *Server) fetchMedia(raw string) (string, string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", "The media URI is not valid."
	}
	resp, err := s.fetch.Get(raw)
	if err != nil {
		return "", "Media download has failed. The media URI doesn't meet our requirements."
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Sprintf("Media download has failed. The media URI answered %d.", resp.StatusCode)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "" || ct == "application/octet-stream" {
		ct = http.DetectContentType(head)
	}
	return ct, ""
}

func (s *Server) createContainer(w http.ResponseWriter, r *http.Request, ig string) {
	f := r.Form
	caption := f.Get("caption")
	if len([]rune(caption)) > 2200 {
		graphError(w, 400, 100, 2207010, "OAuthException", "The caption is too long.")
		return
	}
	c := &container{owner: ig, caption: caption, carouselItem: f.Get("is_carousel_item") == "true"}
	mediaType := strings.ToUpper(f.Get("media_type"))
	switch {
	case mediaType == "CAROUSEL":
		if c.carouselItem {
			graphError(w, 400, 100, 0, "OAuthException", "A carousel cannot be a carousel item.")
			return
		}
		ids := strings.Split(f.Get("children"), ",")
		if f.Get("children") == "" || len(ids) < 2 || len(ids) > 10 {
			graphError(w, 400, 100, 2207028, "OAuthException", "The carousel has too little or too many attachments: between 2 and 10 are accepted.")
			return
		}
		s.mu.Lock()
		for _, id := range ids {
			ch, ok := s.containers[id]
			if !ok || !ch.carouselItem || ch.owner != ig {
				s.mu.Unlock()
				graphError(w, 400, 100, 2207028, "OAuthException", "Carousel validation failed: "+id+" is not a carousel item of this account.")
				return
			}
			if s.statusOf(ch) != "FINISHED" {
				s.mu.Unlock()
				graphError(w, 400, 9007, 2207027, "OAuthException", "Media ID is not available: the carousel item is not ready to be used.")
				return
			}
		}
		s.mu.Unlock()
		c.mediaType, c.children = "CAROUSEL", ids
	case mediaType == "REELS" || mediaType == "VIDEO":
		if mediaType == "VIDEO" && !c.carouselItem {
			graphError(w, 400, 100, 2207023, "OAuthException", "The media type VIDEO is no longer supported: use REELS.")
			return
		}
		if mediaType == "REELS" && c.carouselItem {
			graphError(w, 400, 100, 2207023, "OAuthException", "A carousel item video uses media_type VIDEO.")
			return
		}
		ct, why := s.fetchMedia(f.Get("video_url"))
		if why != "" {
			graphError(w, 400, 9004, 2207052, "OAuthException", why)
			return
		}
		if ct != "video/mp4" && ct != "video/quicktime" {
			graphError(w, 400, 100, 2207026, "OAuthException", "The video format is not supported: "+ct)
			return
		}
		c.mediaType, c.url, c.inProgress = mediaType, f.Get("video_url"), s.videoPolls
	case mediaType == "" || mediaType == "IMAGE":
		if f.Get("image_url") == "" {
			graphError(w, 400, 100, 0, "OAuthException", "(#100) The parameter image_url is required")
			return
		}
		ct, why := s.fetchMedia(f.Get("image_url"))
		if why != "" {
			graphError(w, 400, 9004, 2207052, "OAuthException", why)
			return
		}
		if ct != "image/jpeg" {
			graphError(w, 400, 100, 2207005, "OAuthException", "The image format is not supported: "+ct+" (only JPEG).")
			return
		}
		c.mediaType, c.url = "IMAGE", f.Get("image_url")
	default:
		graphError(w, 400, 100, 2207023, "OAuthException", "The media type "+mediaType+" is unknown.")
		return
	}
	s.mu.Lock()
	c.id = strconv.Itoa(17900000000000000 + s.next())
	if st := s.stick; st != nil {
		c.inProgress, c.final, c.finalStatus = st.inProgress, st.final, st.finalStatus
		if c.final == "" {
			c.inProgress = 1 << 30
		}
		s.stick = nil
	}
	s.containers[c.id] = c
	s.mu.Unlock()
	writeJSON(w, 200, map[string]string{"id": c.id})
}

// statusOf is the container's status code now (s.mu held).
func (s *Server) statusOf(c *container) string {
	switch {
	case c.published:
		return "PUBLISHED"
	case c.polls < c.inProgress:
		return "IN_PROGRESS"
	case c.final != "":
		return c.final
	}
	return "FINISHED"
}

func (s *Server) mediaPublish(w http.ResponseWriter, r *http.Request, ig string) {
	id := r.Form.Get("creation_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.containers[id]
	if !ok || c.owner != ig || c.carouselItem {
		graphError(w, 400, 100, 2207006, "OAuthException", "The media with id "+id+" cannot be found.")
		return
	}
	if s.quotaUsed >= QuotaTotal {
		graphError(w, 400, 9, 2207042, "OAuthException", "Application request limit reached: you reached the maximum number of posts that can be published by the Content Publishing API in 24 hours.")
		return
	}
	switch s.statusOf(c) {
	case "PUBLISHED":
		graphError(w, 400, 100, 2207032, "OAuthException", "This media has already been published.")
		return
	case "IN_PROGRESS":
		graphError(w, 400, 9007, 2207027, "OAuthException", "Media ID is not available: the media is not ready for publishing, please wait for a moment.")
		return
	case "ERROR", "EXPIRED":
		graphError(w, 400, 100, 2207020, "OAuthException", "The media container is not publishable: "+s.statusOf(c))
		return
	}
	c.published = true
	s.quotaUsed++
	mid := strconv.Itoa(17800000000000000 + s.next())
	typ, media := "IMAGE", []string{c.url}
	switch c.mediaType {
	case "REELS":
		typ = "VIDEO"
	case "CAROUSEL":
		typ, media = "CAROUSEL_ALBUM", nil
		for _, ch := range c.children {
			media = append(media, s.containers[ch].url)
		}
	}
	s.posts = append(s.posts, Post{Network: "instagram", ID: mid, Account: ig, Text: c.caption, Type: typ, Media: media,
		Permalink: "https://www.instagram.com/p/C" + mid[len(mid)-8:] + "/", Time: time.Now().UTC()})
	writeJSON(w, 200, map[string]string{"id": mid})
}

func (s *Server) listMedia(w http.ResponseWriter, r *http.Request, ig string) {
	s.mu.Lock()
	var data []map[string]any
	for i := len(s.posts) - 1; i >= 0; i-- {
		p := s.posts[i]
		if p.Network != "instagram" || p.Account != ig {
			continue
		}
		data = append(data, map[string]any{"id": p.ID, "caption": p.Text, "permalink": p.Permalink, "media_type": p.Type,
			"timestamp": p.Time.Format("2006-01-02T15:04:05-0700")})
	}
	s.mu.Unlock()
	if limit, _ := strconv.Atoi(r.Form.Get("limit")); limit > 0 && len(data) > limit {
		data = data[:limit]
	}
	if data == nil {
		data = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"data": data})
}

// node answers GET /{id}: a container's status, an Instagram media's permalink, a Page
// post's permalink_url.
func (s *Server) node(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.containers[id]; ok {
		code := s.statusOf(c)
		c.polls++
		status := map[string]string{"IN_PROGRESS": "In Progress", "FINISHED": "Finished", "PUBLISHED": "Published"}[code]
		if code == "ERROR" || code == "EXPIRED" {
			status = c.finalStatus
		}
		writeJSON(w, 200, map[string]string{"id": id, "status_code": code, "status": status})
		return
	}
	for _, p := range s.posts {
		if p.ID == id {
			if p.Network == "instagram" {
				writeJSON(w, 200, map[string]string{"id": id, "permalink": p.Permalink})
			} else {
				writeJSON(w, 200, map[string]string{"id": id, "permalink_url": p.Permalink})
			}
			return
		}
	}
	graphError(w, 400, 100, 33, "GraphMethodException", "Unsupported get request. Object with ID '"+id+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
}
