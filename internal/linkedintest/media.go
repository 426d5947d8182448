package linkedintest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Server) initializeUpload(w http.ResponseWriter, r *http.Request) {
	tk, ok := s.auth(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("action") != "initializeUpload" {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Unsupported action")
		return
	}
	var in struct {
		Req struct {
			Owner string `json:"owner"`
		} `json:"initializeUploadRequest"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Req.Owner == "" {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "/initializeUploadRequest/owner :: field is required but not found and has no default value")
		return
	}
	if !s.mayAct(tk, in.Req.Owner) {
		denied(w, "images.ACTION-initializeUpload")
		return
	}
	s.mu.Lock()
	id := "D4E10AQ" + s.next()
	urn := "urn:li:image:" + id
	s.images[urn] = &image{Uploaded: Uploaded{URN: urn, Owner: in.Req.Owner}}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"value": map[string]any{
		"uploadUrlExpiresAt": s.now().Add(24 * time.Hour).UnixMilli(),
		"uploadUrl":          s.URL + "/dms-uploads/" + id + "/uploaded-image/0?ca=vector_feedshare&cn=uploads&m=AQ&v=beta&ut=fake",
		"image":              urn,
	}})
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/dms-uploads/"), "/")
	data, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	im, ok := s.images["urn:li:image:"+id]
	if !ok || len(data) == 0 {
		w.WriteHeader(400)
		return
	}
	im.Uploaded.Uploaded, im.Bytes, im.ContentType = true, len(data), http.DetectContentType(data)
	w.WriteHeader(201)
}

func (s *Server) imageStatus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	urn, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/rest/images/"))
	s.mu.Lock()
	defer s.mu.Unlock()
	im, ok := s.images[urn]
	if err != nil || !ok {
		apiError(w, 404, 0, "NOT_FOUND", "Image not found")
		return
	}
	status := "WAITING_UPLOAD"
	if im.Uploaded.Uploaded {
		im.polls++
		status = "AVAILABLE"
		if im.polls <= s.o.ImageProcessing {
			status = "PROCESSING"
		}
	}
	out := map[string]any{"id": urn, "owner": im.Owner, "status": status}
	if status == "AVAILABLE" {
		out["downloadUrl"] = s.URL + "/media/" + urn
	}
	writeJSON(w, 200, out)
}

func (s *Server) initializeVideo(w http.ResponseWriter, r *http.Request) {
	tk, ok := s.auth(w, r)
	if !ok {
		return
	}
	var in struct {
		Req struct {
			Owner string `json:"owner"`
			Size  int    `json:"fileSizeBytes"`
		} `json:"initializeUploadRequest"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Req.Owner == "" || in.Req.Size <= 0 {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "/initializeUploadRequest :: owner and fileSizeBytes are required")
		return
	}
	if !s.mayAct(tk, in.Req.Owner) {
		denied(w, "videos.ACTION-initializeUpload")
		return
	}
	s.mu.Lock()
	id := "D5605AQ" + s.next()
	v := &video{Video: Video{URN: "urn:li:video:" + id, Owner: in.Req.Owner, Size: in.Req.Size}, parts: map[int][]byte{}}
	s.videos[v.URN] = v
	s.mu.Unlock()
	var instr []map[string]any
	for n, first := 0, 0; first < in.Req.Size; n, first = n+1, first+VideoPart {
		last := min(first+VideoPart, in.Req.Size) - 1
		instr = append(instr, map[string]any{"uploadUrl": fmt.Sprintf("%s/dms-uploads/%s/uploadedVideo/%d?ca=vector_feedshare&cn=uploads&ut=fake", s.URL, id, n),
			"firstByte": first, "lastByte": last})
	}
	v.Parts = len(instr)
	writeJSON(w, 200, map[string]any{"value": map[string]any{"uploadUrlsExpireAt": s.now().Add(24 * time.Hour).UnixMilli(),
		"video": v.URN, "uploadInstructions": instr, "uploadToken": "", "thumbnailUploadUrl": ""}})
}

func (s *Server) uploadVideoPart(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/dms-uploads/")
	id, nstr, _ := strings.Cut(rest, "/uploadedVideo/")
	n, err := strconv.Atoi(nstr)
	data, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.videos["urn:li:video:"+id]
	if !ok || err != nil || n < 0 || n >= v.Parts || len(data) == 0 {
		w.WriteHeader(400)
		return
	}
	v.parts[n] = data
	w.Header().Set("ETag", fmt.Sprintf("/etag-%s-%d-%d", id, n, len(data)))
	w.WriteHeader(200)
}

func (s *Server) finalizeVideo(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	var in struct {
		Req struct {
			Video string   `json:"video"`
			Parts []string `json:"uploadedPartIds"`
		} `json:"finalizeUploadRequest"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.videos[in.Req.Video]
	if !ok {
		apiError(w, 404, 0, "NOT_FOUND", "Video not found")
		return
	}
	want := make([]string, v.Parts)
	total := 0
	for n := range v.Parts {
		want[n] = fmt.Sprintf("/etag-%s-%d-%d", strings.TrimPrefix(v.URN, "urn:li:video:"), n, len(v.parts[n]))
		total += len(v.parts[n])
	}
	if !slices.Equal(want, in.Req.Parts) || total != v.Size {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "uploadedPartIds do not match the uploaded parts")
		return
	}
	v.Finalized, v.Bytes = true, total
	w.WriteHeader(200)
}

func (s *Server) videoStatus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	urn, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/rest/videos/"))
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.videos[urn]
	if err != nil || !ok {
		apiError(w, 404, 0, "NOT_FOUND", "Video not found")
		return
	}
	status := "WAITING_UPLOAD"
	if v.Finalized {
		v.polls++
		status = "AVAILABLE"
		if v.polls <= s.o.VideoProcessing {
			status = "PROCESSING"
		}
	}
	writeJSON(w, 200, map[string]any{"id": urn, "owner": v.Owner, "status": status})
}
