package api

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/diff"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

type column struct {
	Status string
	Count  int
	Posts  []store.Post
}

func (p *pages) board(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	clients, err := p.svc.Clients(ctx, u)
	if err != nil {
		return err
	}
	clientID, status, q := c.Query("client"), c.Query("status"), strings.TrimSpace(c.Query("q"))
	counts, err := p.svc.PostCounts(ctx, u, clientID)
	if err != nil {
		return err
	}
	page, err := p.svc.Posts(ctx, u, store.PostFilter{ClientID: clientID, Status: status, Search: q, Cursor: c.Query("cursor"), Limit: 200})
	if err != nil {
		return err
	}
	var cols []column
	for _, st := range greenlight.PostStatuses {
		if status != "" && string(st) != status {
			continue
		}
		col := column{Status: string(st), Count: counts[string(st)]}
		for _, post := range page.Items {
			if post.Status == string(st) {
				col.Posts = append(col.Posts, post)
			}
		}
		cols = append(cols, col)
	}
	names := map[string]string{}
	for _, cl := range clients {
		names[cl.ID] = cl.Name
	}
	failed, err := p.failedChannels(c, page.Items)
	if err != nil {
		return err
	}
	reconnect, err := p.needsReconnect(c, clients)
	if err != nil {
		return err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	return p.render(c, fiber.StatusOK, "board", translate(language(c), "board.title"), fiber.Map{
		"Clients": clients, "ClientNames": names, "Client": clientID, "Status": status, "Q": q, "Columns": cols,
		"Total": total, "Next": page.NextCursor, "Statuses": greenlight.PostStatuses, "Failed": failed, "Reconnect": reconnect,
	})
}

type calDay struct {
	Date    time.Time
	InRange bool
	Today   bool
	Posts   []store.Post
}

func (p *pages) calendar(c *fiber.Ctx) error {
	u := currentUser(c)
	view := c.Query("view", "month")
	if view != "week" && view != "month" {
		view = "month"
	}
	now := p.local(time.Now())
	anchor := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, p.tz)
	if d := c.Query("date"); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, p.tz)
		if err != nil {
			return greenlight.Errorf(greenlight.EINVALID, "date: use YYYY-MM-DD")
		}
		anchor = t
	}
	monday := func(t time.Time) time.Time {
		wd := (int(t.Weekday()) + 6) % 7
		return t.AddDate(0, 0, -wd)
	}
	var from, to, prev, next time.Time
	var label string
	if view == "week" {
		from = monday(anchor)
		to = from.AddDate(0, 0, 7)
		prev, next = from.AddDate(0, 0, -7), to
		label = fmt.Sprintf("%s – %s", from.Format("2 Jan"), to.AddDate(0, 0, -1).Format("2 Jan 2006"))
	} else {
		first := time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, p.tz)
		from = monday(first)
		last := first.AddDate(0, 1, 0)
		to = monday(last.AddDate(0, 0, 6))
		prev, next = first.AddDate(0, -1, 0), last
		label = first.Format("January 2006")
	}
	posts, err := p.svc.Calendar(c.UserContext(), u, c.Query("client"), from, to)
	if err != nil {
		return err
	}
	var days []calDay
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		day := calDay{Date: d, InRange: view == "week" || d.Month() == anchor.Month(), Today: d.Equal(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, p.tz))}
		for _, post := range posts {
			lp := p.local(post.PublishAt)
			if lp.Year() == d.Year() && lp.YearDay() == d.YearDay() {
				day.Posts = append(day.Posts, post)
			}
		}
		days = append(days, day)
	}
	clients, err := p.svc.Clients(c.UserContext(), u)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "calendar", translate(language(c), "cal.title"), fiber.Map{
		"View": view, "Days": days, "Label": label, "Prev": prev.Format("2006-01-02"), "Next": next.Format("2006-01-02"),
		"Clients": clients, "Client": c.Query("client"), "Weekdays": weekdays(language(c)),
	})
}

func weekdays(lang string) []string {
	if lang == "fr" {
		return []string{"lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."}
	}
	return []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
}

func (p *pages) newPostPage(c *fiber.Ctx) error {
	clients, err := p.svc.Clients(c.UserContext(), currentUser(c))
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "post_new", translate(language(c), "post.new"), fiber.Map{
		"Clients": clients, "Channels": channelNames(), "Form": fiber.Map{"Client": c.Query("client")}, "MediaItems": []mediaItem{},
	})
}

func channelNames() []string {
	out := make([]string, 0, len(greenlight.Channels))
	for ch := range greenlight.Channels {
		out = append(out, ch)
	}
	sort.Strings(out)
	return out
}

// postForm reads the post editor's fields; absent fields stay nil.
func (p *pages) postForm(c *fiber.Ctx) (service.PostFields, error) {
	var f service.PostFields
	if v := c.FormValue("title"); c.FormValue("has_content") != "" {
		title, body := v, strings.ReplaceAll(c.FormValue("body"), "\r\n", "\n")
		f.Title, f.Body = &title, &body
		chs := formValues(c, "channels")
		f.Channels = &chs
		var media []string
		for _, line := range strings.Split(c.FormValue("media_urls"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				media = append(media, line)
			}
		}
		if media == nil {
			media = []string{}
		}
		f.MediaURLs = &media
		if c.FormValue("media_form") != "" {
			items := mediaForm(c)
			f.Media, f.MediaField = &items, "media"
		}
	}
	var err error
	if f.PublishAt, err = p.parseLocal("publish_at", c.FormValue("publish_at")); err != nil {
		return f, err
	}
	return f, nil
}

// formValues returns every value of a repeated form field (checkboxes).
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == name {
			out = append(out, string(v))
		}
	})
	return out
}

func (p *pages) createPost(c *fiber.Ctx) error {
	f, err := p.postForm(c)
	if err == nil {
		var d *store.PostDetail
		d, err = p.svc.CreatePost(c.UserContext(), currentUser(c), service.NewPost{ClientID: c.FormValue("client_id"), PostFields: f})
		if err == nil {
			return p.back(c, "/posts/"+d.ID, translate(language(c), "common.saved"))
		}
	}
	if greenlight.ErrorCode(err) != greenlight.EINVALID {
		return err // refusals answer 403 like the API
	}
	clients, cerr := p.svc.Clients(c.UserContext(), currentUser(c))
	if cerr != nil {
		return cerr
	}
	return p.render(c, fiber.StatusUnprocessableEntity, "post_new", translate(language(c), "post.new"), fiber.Map{
		"Clients": clients, "Channels": channelNames(), "Error": greenlight.ErrorMessage(err), "MediaItems": p.formMedia(c),
		"Form": fiber.Map{"Client": c.FormValue("client_id"), "Title": c.FormValue("title"), "Body": c.FormValue("body"),
			"Selected": formValues(c, "channels"), "Media": c.FormValue("media_urls"), "PublishAt": c.FormValue("publish_at")},
	})
}

type channelPreview struct {
	Channel    string
	Limit      int
	Count      int
	Over       int
	MediaLimit int // how many media the network takes in one post; 0 when not checked here
	MediaOver  bool
}

// mediaLimits is how many images (or one video) a post may carry per network Greenlight
// publishes to itself; the service checks them on save, the preview shows them.
var mediaLimits = map[string]int{"bluesky": 4, "mastodon": 4}

type diffView struct {
	From, To int
	Title    []diff.Piece
	Body     []diff.Piece
}

func (p *pages) postPage(c *fiber.Ctx) error {
	u := currentUser(c)
	d, err := p.svc.Post(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	client, err := p.svc.Client(c.UserContext(), u, d.ClientID)
	if err != nil {
		return err
	}
	var previews []channelPreview
	n := len([]rune(d.Body))
	for _, ch := range d.Channels {
		limit := greenlight.Channels[ch]
		ml := mediaLimits[ch]
		previews = append(previews, channelPreview{Channel: ch, Limit: limit, Count: n, Over: max(0, n-limit), MediaLimit: ml, MediaOver: ml > 0 && len(d.Media) > ml})
	}
	channels := publication(d)
	reconnect, err := p.needsReconnect(c, []store.Client{*client})
	if err != nil {
		return err
	}
	var dv *diffView
	if len(d.Versions) > 1 {
		from, _ := strconv.Atoi(c.Query("from"))
		to, _ := strconv.Atoi(c.Query("to"))
		if to < 1 || to > len(d.Versions) {
			to = d.Version
		}
		if from < 1 || from > len(d.Versions) {
			from = max(1, to-1)
		}
		a, b := d.Versions[from-1], d.Versions[to-1]
		dv = &diffView{From: from, To: to, Title: diff.Words(a.Title, b.Title), Body: diff.Words(a.Body, b.Body)}
	}
	st := greenlight.PostStatus(d.Status)
	editor := service.Can(u, service.ActPostEdit)
	canReview := st == greenlight.StatusInReview && u.ID != d.AuthorID && service.Can(u, service.ActPostReview)
	history := make([]store.PostEvent, len(d.Events))
	for i, e := range d.Events {
		history[len(d.Events)-1-i] = e // newest first
	}
	comments, err := p.svc.Comments(c.UserContext(), u, d.ID)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "post", d.Title, fiber.Map{
		"Post": d, "Client": client, "Previews": previews, "Diff": dv, "History": history,
		"CanSettle": st == greenlight.StatusFailed && service.Can(u, service.ActPostSettle),
		"CanEdit":   editor && !st.Final(), "CanSubmit": editor && st == greenlight.StatusDraft, "CanReview": canReview,
		"Comments": comments, "CanComment": service.Can(u, service.ActPostComment),
		"Channels": channelNames(), "Media": strings.Join(d.MediaURLs, "\n"),
		"MediaItems": mediaItems(p.svc, d.Media), "MediaClient": d.ClientID, "PostChannels": channels, "Reconnect": reconnect,
		"PublishLocal": p.local(d.PublishAt).Format("2006-01-02T15:04"),
		"NeedsTime":    st == greenlight.StatusDraft && slices.ContainsFunc(d.Events, func(e store.PostEvent) bool { return e.Action == "returned_after_crisis" }) && !d.PublishAt.After(time.Now()),
	})
}

func (p *pages) postAction(c *fiber.Ctx) error {
	u, id := currentUser(c), c.Params("id")
	to := "/posts/" + id
	ctx := c.UserContext()
	var err error
	switch c.Params("action") {
	case "edit", "reschedule":
		var f service.PostFields
		if f, err = p.postForm(c); err == nil {
			version, _ := strconv.Atoi(c.FormValue("version"))
			_, err = p.svc.EditPost(ctx, u, id, version, f)
		}
	case "submit":
		_, err = p.svc.SubmitPost(ctx, u, id)
	case "review":
		version, _ := strconv.Atoi(c.FormValue("version"))
		_, err = p.svc.ReviewPost(ctx, u, id, version, c.FormValue("decision"), c.FormValue("comment"))
	case "cancel":
		_, err = p.svc.CancelPost(ctx, u, id, c.FormValue("reason"))
	case "settle":
		version, _ := strconv.Atoi(c.FormValue("version"))
		_, err = p.svc.SettleChannel(ctx, u, id, c.FormValue("channel"),
			service.ChannelDecision{Version: version, Action: c.FormValue("decision"), URL: c.FormValue("url")})
	case "comment":
		_, err = p.svc.AddComment(ctx, u, id, service.NewComment{Body: c.FormValue("body"), Visibility: c.FormValue("visibility")})
	default:
		return greenlight.Errorf(greenlight.ENOTFOUND, "no such action")
	}
	if err != nil {
		return p.fail(c, to, err)
	}
	return p.back(c, to, translate(language(c), "common.saved"))
}

// failedChannels names, per post, the channels whose publication failed or could not be
// confirmed, so that the board never hides one. Only posts whose publication has begun
// (failed, or scheduled and due) can have any.
func (p *pages) failedChannels(c *fiber.Ctx, posts []store.Post) (map[string][]string, error) {
	out := map[string][]string{}
	now := time.Now()
	for _, post := range posts {
		st := greenlight.PostStatus(post.Status)
		if st != greenlight.StatusFailed && (st != greenlight.StatusScheduled || post.PublishAt.After(now)) {
			continue
		}
		chs, err := p.svc.PostChannels(c.UserContext(), currentUser(c), post.ID)
		if err != nil {
			return nil, err
		}
		for _, ch := range chs {
			if ch.Status == store.ChannelFailed || ch.Status == store.ChannelUnconfirmed {
				out[post.ID] = append(out[post.ID], ch.Channel)
			}
		}
	}
	return out, nil
}

// publication is the post page's per-channel status: nothing before publication has begun
// (every channel would only say pending), else each channel of the current version.
func publication(d *store.PostDetail) []store.PostChannel {
	switch greenlight.PostStatus(d.Status) {
	case greenlight.StatusScheduled, greenlight.StatusPublished, greenlight.StatusFailed:
		return d.ChannelResults
	}
	for _, ch := range d.ChannelResults {
		if ch.Status != store.ChannelPending {
			return d.ChannelResults
		}
	}
	return nil
}
