package linkedintest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// mayAct reports whether tk may create content as author (a person: itself with
// w_member_social; an organization it administers with w_organization_social).
func (s *Server) mayAct(tk *token, author string) bool {
	if author == "urn:li:person:"+tk.member {
		return hasScope(tk, "w_member_social")
	}
	for _, o := range s.orgs {
		if OrganizationURN(o.ID) == author && o.Role == "ADMINISTRATOR" && o.State == "APPROVED" {
			return hasScope(tk, "w_organization_social")
		}
	}
	return false
}

type postIn struct {
	Author       string `json:"author"`
	Commentary   string `json:"commentary"`
	Visibility   string `json:"visibility"`
	Distribution *struct {
		FeedDistribution string `json:"feedDistribution"`
	} `json:"distribution"`
	LifecycleState string `json:"lifecycleState"`
	Content        *struct {
		Media *struct {
			ID      string `json:"id"`
			AltText string `json:"altText"`
			Title   string `json:"title"`
		} `json:"media"`
		MultiImage *struct {
			Images []struct {
				ID      string `json:"id"`
				AltText string `json:"altText"`
			} `json:"images"`
		} `json:"multiImage"`
		Article *struct {
			Source string `json:"source"`
			Title  string `json:"title"`
		} `json:"article"`
	} `json:"content"`
}

func (s *Server) createPost(w http.ResponseWriter, r *http.Request) {
	tk, ok := s.auth(w, r)
	if !ok {
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		apiError(w, 415, 0, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
		return
	}
	var in postIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Malformed JSON: "+err.Error())
		return
	}
	switch {
	case in.Author == "":
		apiError(w, 422, 0, "FIELD_REQUIRED", "/author :: field is required but not found and has no default value")
		return
	case in.Distribution == nil || in.Distribution.FeedDistribution == "":
		apiError(w, 422, 0, "FIELD_REQUIRED", "/distribution :: field is required but not found and has no default value")
		return
	case !slices.Contains([]string{"PUBLIC", "CONNECTIONS", "LOGGED_IN"}, in.Visibility):
		apiError(w, 422, 0, "INVALID_VALUE", "/visibility :: invalid value "+strconv.Quote(in.Visibility))
		return
	case in.LifecycleState != "PUBLISHED" && in.LifecycleState != "DRAFT":
		apiError(w, 422, 0, "INVALID_VALUE", "/lifecycleState :: invalid value "+strconv.Quote(in.LifecycleState))
		return
	}
	if !s.mayAct(tk, in.Author) {
		denied(w, "partnerApiPostsExternal.CREATE")
		return
	}
	text, tags := Render(in.Commentary)
	if utf16Len(text) > 3000 {
		apiError(w, 422, 0, "INVALID_VALUE", "/commentary :: length of commentary must be at most 3000 characters")
		return
	}
	p := Post{Author: in.Author, Commentary: in.Commentary, Text: text, Hashtags: tags, Visibility: in.Visibility, LifecycleState: in.LifecycleState}
	if c := in.Content; c != nil {
		switch {
		case c.Media != nil && strings.HasPrefix(c.Media.ID, "urn:li:video:"):
			p.Video, p.VideoTitle = c.Media.ID, c.Media.Title
		case c.Media != nil:
			p.Images = []Image{{ID: c.Media.ID, AltText: c.Media.AltText}}
		case c.MultiImage != nil:
			for _, im := range c.MultiImage.Images {
				p.Images = append(p.Images, Image{ID: im.ID, AltText: im.AltText})
			}
			if n := len(p.Images); n < 2 || n > 20 {
				apiError(w, 422, 0, "INVALID_VALUE", fmt.Sprintf("/content/multiImage/images :: a multi-image post has 2 to 20 images, not %d", n))
				return
			}
		case c.Article != nil:
			p.Article = c.Article.Source
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, im := range p.Images {
		u, ok := s.images[im.ID]
		if !ok || !u.Uploaded.Uploaded || u.Owner != in.Author {
			apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Invalid media id "+im.ID+": it does not exist, is not uploaded or is owned by another author")
			return
		}
		if len(im.AltText) > 4086 {
			apiError(w, 422, 0, "INVALID_VALUE", "/content/media/altText :: length must be at most 4086")
			return
		}
	}
	if p.Video != "" {
		v, ok := s.videos[p.Video]
		if !ok || !v.Finalized || v.Owner != in.Author {
			apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Invalid media id "+p.Video+": it does not exist, is not uploaded or is owned by another author")
			return
		}
	}
	for _, prev := range s.posts {
		if prev.Author == p.Author && prev.Commentary == p.Commentary && p.Commentary != "" {
			apiError(w, 422, 0, "DUPLICATE_POST", "Content is a duplicate of "+prev.URN)
			return
		}
	}
	p.URN = "urn:li:share:" + s.next()
	s.posts = append(s.posts, p)
	w.Header().Set("x-restli-id", p.URN)
	w.Header().Set("Location", "/rest/posts/"+url.PathEscape(p.URN))
	w.WriteHeader(201)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// reserved are the characters of the little text format that must be backslash-escaped
// to stand for themselves.
const reserved = `|{}@[]()<>#\*_~`

var (
	hashtagTemplate = regexp.MustCompile(`^\{hashtag\|(?:\\?#|＃)\|([^{}|\\]+)\}`)
	mention         = regexp.MustCompile(`^@\[([^\]]*)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)`)
	hashtagElement  = regexp.MustCompile(`^#([\p{L}\p{N}\p{M}]+)`)
)

// Render parses commentary in the little text format as LinkedIn does: an escaped
// reserved character stands for itself, a hashtag template or element shows as #tag, a
// mention shows its name, and the first reserved character that starts no element ends
// the text (LinkedIn cuts the post there). It returns the text as shown and its hashtags.
func Render(commentary string) (string, []string) {
	var b strings.Builder
	var tags []string
	for i := 0; i < len(commentary); {
		rest := commentary[i:]
		c := rest[0]
		if !strings.ContainsRune(reserved, rune(c)) {
			b.WriteByte(c)
			i++
			continue
		}
		if c == '\\' && len(rest) > 1 && strings.ContainsRune(reserved, rune(rest[1])) {
			b.WriteByte(rest[1])
			i += 2
			continue
		}
		if m := hashtagTemplate.FindStringSubmatch(rest); m != nil {
			b.WriteString("#" + m[1])
			tags = append(tags, m[1])
			i += len(m[0])
			continue
		}
		if m := mention.FindStringSubmatch(rest); m != nil {
			b.WriteString(m[1])
			i += len(m[0])
			continue
		}
		if m := hashtagElement.FindStringSubmatch(rest); m != nil {
			b.WriteString(m[0])
			tags = append(tags, m[1])
			i += len(m[0])
			continue
		}
		break // an unescaped reserved character: the rest is lost
	}
	return b.String(), tags
}
