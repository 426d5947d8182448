package xtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func keyPrefix(category string) string {
	switch category {
	case "tweet_video", "amplify_video":
		return "7_"
	case "tweet_gif":
		return "16_"
	}
	return "3_"
}

// mediaUpload is POST /2/media/upload: the simple upload of an image, or the command form
// (INIT, APPEND, FINALIZE) of the chunked upload.
func (s *Server) mediaUpload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		invalid(w, "media", "The media upload must be multipart/form-data.")
		return
	}
	switch cmd := r.FormValue("command"); cmd {
	case "INIT":
		n, _ := strconv.Atoi(r.FormValue("total_bytes"))
		s.initialize(w, r.FormValue("media_type"), n, r.FormValue("media_category"))
		return
	case "APPEND":
		s.appendSegment(w, r, r.FormValue("media_id"))
		return
	case "FINALIZE":
		s.finalize(w, r.FormValue("media_id"))
		return
	case "":
	default:
		invalid(w, "command", "Invalid command.")
		return
	}
	file, hdr, err := r.FormFile("media")
	if err != nil {
		invalid(w, "media", "The media field is required.")
		return
	}
	data, _ := io.ReadAll(file)
	ct := r.FormValue("media_type")
	if ct == "" {
		ct = hdr.Header.Get("Content-Type")
	}
	category := r.FormValue("media_category")
	if category == "" {
		category = "tweet_image"
	}
	switch {
	case !strings.HasPrefix(ct, "image/"):
		invalid(w, "media_type", "The simple upload only takes images: use the chunked upload.")
		return
	case len(data) > 5<<20:
		invalid(w, "media", "File size exceeds 5242880 bytes.")
		return
	}
	s.mu.Lock()
	m := &Media{ID: s.nextID(), Category: category, ContentType: ct, TotalBytes: len(data), Data: data, Segments: 1, Finalized: true, State: "succeeded"}
	m.Key = keyPrefix(category) + m.ID
	s.media[m.ID] = m
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"data": map[string]any{"id": m.ID, "media_key": m.Key, "size": len(data), "expires_after_secs": 86400,
		"image": map[string]any{"image_type": ct}}})
}

func (s *Server) initialize(w http.ResponseWriter, mediaType string, total int, category string) {
	if mediaType == "" || total <= 0 {
		invalid(w, "total_bytes", "media_type and total_bytes are required.")
		return
	}
	s.mu.Lock()
	m := &Media{ID: s.nextID(), Category: category, ContentType: mediaType, TotalBytes: total}
	m.Key = keyPrefix(category) + m.ID
	s.media[m.ID] = m
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"data": map[string]any{"id": m.ID, "media_key": m.Key, "expires_after_secs": 86400}})
}

func (s *Server) appendSegment(w http.ResponseWriter, r *http.Request, id string) {
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			invalid(w, "media", "The append must be multipart/form-data.")
			return
		}
	}
	seg, err := strconv.Atoi(r.FormValue("segment_index"))
	file, _, ferr := r.FormFile("media")
	if err != nil || ferr != nil {
		invalid(w, "segment_index", "segment_index and media are required.")
		return
	}
	data, _ := io.ReadAll(file)
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	switch {
	case !ok:
		invalid(w, "media_id", "Invalid media_id.")
		return
	case m.Finalized || seg != m.Segments:
		invalid(w, "segment_index", "Segment index out of order.")
		return
	case len(data) > 5<<20:
		invalid(w, "media", "Segment size exceeds 5242880 bytes.")
		return
	}
	m.Data = append(m.Data, data...)
	m.Segments++
	writeJSON(w, 200, map[string]any{"data": map[string]any{"expires_at": time.Now().Add(24 * time.Hour).Unix()}})
}

func (s *Server) finalize(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	switch {
	case !ok:
		invalid(w, "media_id", "Invalid media_id.")
		return
	case len(m.Data) != m.TotalBytes:
		invalid(w, "media_id", fmt.Sprintf("Segments do not add up to provided total file size (%d of %d bytes).", len(m.Data), m.TotalBytes))
		return
	}
	m.Finalized = true
	out := map[string]any{"id": m.ID, "media_key": m.Key, "size": m.TotalBytes, "expires_after_secs": 86400}
	async := strings.HasPrefix(m.ContentType, "video/") || m.ContentType == "image/gif"
	if async && (s.o.Processing > 0 || s.o.FailProcessing) {
		m.State = "pending"
		out["processing_info"] = map[string]any{"state": "pending", "check_after_secs": 1}
	} else {
		m.State = "succeeded"
	}
	writeJSON(w, 200, map[string]any{"data": out})
}

func (s *Server) mediaStatus(w http.ResponseWriter, command, id string) {
	if command != "STATUS" {
		invalid(w, "command", "Invalid command.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	if !ok || !m.Finalized {
		invalid(w, "media_id", "Invalid media_id.")
		return
	}
	info := map[string]any{"state": m.State}
	if m.State == "pending" || m.State == "in_progress" {
		m.polls++
		switch {
		case s.o.FailProcessing:
			m.State = "failed"
		case m.polls > s.o.Processing:
			m.State = "succeeded"
		default:
			m.State = "in_progress"
		}
		info["state"] = m.State
		switch m.State {
		case "in_progress":
			info["check_after_secs"] = 1
			info["progress_percent"] = 100 * m.polls / (s.o.Processing + 1)
		case "succeeded":
			info["progress_percent"] = 100
		case "failed":
			info["error"] = map[string]any{"code": 1, "name": "InvalidMedia", "message": "Invalid or Unsupported media, Reason: UnsupportedMedia."}
		}
	}
	writeJSON(w, 200, map[string]any{"data": map[string]any{"id": m.ID, "media_key": m.Key, "processing_info": info}})
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ID       string `json:"id"`
		Metadata struct {
			AltText *struct {
				Text string `json:"text"`
			} `json:"alt_text"`
		} `json:"metadata"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		invalid(w, "id", "Invalid JSON body.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[in.ID]
	switch {
	case !ok:
		invalid(w, "id", "Invalid media id.")
		return
	case in.Metadata.AltText == nil:
		invalid(w, "metadata", "No metadata given.")
		return
	case len([]rune(in.Metadata.AltText.Text)) > 1000:
		invalid(w, "metadata.alt_text.text", "Alt text must be at most 1000 characters.")
		return
	case strings.HasPrefix(m.ContentType, "video/"):
		invalid(w, "metadata.alt_text", "Alt text is only supported for images and GIFs.")
		return
	}
	m.Alt = in.Metadata.AltText.Text
	writeJSON(w, 200, map[string]any{"data": map[string]any{"id": m.ID, "associated_metadata": map[string]any{"alt_text": map[string]string{"text": m.Alt}}}})
}
