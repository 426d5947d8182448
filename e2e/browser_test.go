package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/pdstest"
)

// chromiumPath finds Chromium: CHROMIUM_PATH, then the usual Debian names. Browser tests
// fail without it; .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is required for the browser tests: install Debian's chromium package or set CHROMIUM_PATH")
	return ""
}

// browser starts a headless Chromium for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	// One browser; every person gets their own browser context (cookies) in it.
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelRoot)
	require.NoError(t, chromedp.Do(root))
	return root
}

// person is one browser window with its own cookies (an incognito-like context).
type person struct {
	t    *testing.T
	ctx  context.Context
	name string
}

func newPerson(t *testing.T, alloc context.Context, name string, width, height int64) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first action starts the tab; it must not run under a timeout (see chromedp.Run).
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(width, height)))
	return &person{t: t, ctx: ctx, name: name}
}

// run performs steps in order, each batch bounded in time.
func (p *person) run(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v\npage %s", p.name, err, p.debug())
	}
}

// debug describes the page for a failure message, and keeps a screenshot of it.
func (p *person) debug() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	url, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 1500) : ""`))
	if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		dir := filepath.Join("..", "artifacts", "screenshots")
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "FAILED-"+p.name+".png"), buf, 0o644)
	}
	return url + "\n" + text
}

func get[T any](p *person, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("%s: %v\npage %s", p.name, err, p.debug())
	}
	return v
}

type css = chromedp.CSS

func (p *person) open(path string) {
	p.t.Helper()
	url := path
	if strings.HasPrefix(path, "/") {
		url = stack.URL + path
	}
	p.run(chromedp.Navigate(url), chromedp.WaitReady(css("body")))
}

// shot writes a screenshot to artifacts/screenshots/<name>.png.
func (p *person) shot(name string) {
	p.t.Helper()
	buf := get(p, chromedp.FullScreenshot(100))
	dir := filepath.Join("..", "artifacts", "screenshots")
	require.NoError(p.t, os.MkdirAll(dir, 0o755))
	require.NoError(p.t, os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644))
}

func (p *person) text(sel string) string {
	p.t.Helper()
	return get(p, chromedp.Text(css(sel)))
}

func (p *person) value(sel string) string {
	p.t.Helper()
	return get(p, chromedp.Value(css(sel)))
}

func eval[T any](p *person, js string) T {
	p.t.Helper()
	return get(p, chromedp.Evaluate[T](js))
}

// accessible checks what a keyboard and screen-reader user needs on the current page:
// every visible form control has a label, and the page does not scroll sideways.
func (p *person) accessible(width int) {
	p.t.Helper()
	unlabelled := eval[[]string](p, `Array.from(document.querySelectorAll("input:not([type=hidden]),select,textarea")).filter(function(e){
		return !(e.labels && e.labels.length) && !e.getAttribute("aria-label");
	}).map(function(e){ return e.name || e.id; })`)
	require.Empty(p.t, unlabelled, "form controls without a label")
	scroll := eval[int](p, `document.documentElement.scrollWidth`)
	require.LessOrEqual(p.t, scroll, width, "the page scrolls sideways at %dpx", width)
}

// setPassword follows an invite link and chooses a password.
func (p *person) setPassword(link string) {
	p.t.Helper()
	p.open(link)
	p.run(chromedp.SendKeys(css("#password"), "correct horse battery"))
	p.submit("button[type=submit]")
	p.waitFor(`location.pathname === "/board" && !!document.querySelector("form.filters")`, 10*time.Second, "the board after setting the password")
}

// invite creates a staff user from the admin page and returns their invite link.
func (p *person) invite(email, name, role string) string {
	p.t.Helper()
	p.open("/admin/users")
	p.run(
		chromedp.SendKeys(css("#inv-email"), email),
		chromedp.SendKeys(css("#inv-name"), name),
		chromedp.SetValue(css("#inv-role"), role),
	)
	p.submit("#invite-user")
	link := p.value("#invite-link")
	require.Contains(p.t, link, "/invite/gli_")
	return link
}

// submit clicks a form button and waits until the next page has loaded.
func (p *person) submit(button string) {
	p.t.Helper()
	eval[bool](p, `window.__page = true`)
	p.run(chromedp.Click(css(button)))
	p.waitFor(`!window.__page && document.readyState === "complete"`, 20*time.Second, "the page after "+button)
}

func (p *person) waitFor(js string, within time.Duration, what string) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if eval[bool](p, js) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: timed out after %s waiting for %s\npage %s", p.name, within, what, p.debug())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestBrowserApprovalAndCrisisByClicking(t *testing.T) {
	require.NotEmpty(t, stack.AdminInvite, "the dev stack offers the admin a password link")
	alloc := browser(t)
	stamp := time.Now().UnixNano()
	clientEmail := fmt.Sprintf("claire-%d@brand.test", stamp)

	admin := newPerson(t, alloc, "admin", 1280, 900)
	admin.setPassword(stack.AdminInvite)
	admin.shot("01-board-empty")

	// The admin creates a client and invites an editor, a reviewer and a crisis lead.
	admin.open("/admin/clients")
	admin.run(
		chromedp.SendKeys(css("#c-name"), "Fromagerie Lumen"),
		chromedp.SendKeys(css("#c-approvers"), "Claire Client <"+clientEmail+">"),
		chromedp.SetValue(css("#c-digest"), "0s"), // one email per post: this test follows the per-post link
	)
	admin.submit("form[action='/admin/clients'] button[type=submit]")
	admin.run(
		chromedp.SendKeys(css("#contacts"), "legal, Louise Legal, louise-"+fmt.Sprint(stamp)+"@brand.test"),
	)
	admin.submit("form[action$='/contacts'] button[type=submit]")
	require.Contains(t, admin.value("#contacts"), "Louise Legal")
	admin.accessible(1280)
	admin.shot("02-admin-client")
	editorLink := admin.invite(fmt.Sprintf("eddie-%d@agency.test", stamp), "Eddie Editor", "editor")
	admin.shot("03-admin-invite")
	reviewerLink := admin.invite(fmt.Sprintf("rita-%d@agency.test", stamp), "Rita Reviewer", "reviewer")
	leadLink := admin.invite(fmt.Sprintf("lea-%d@agency.test", stamp), "Léa Lead", "crisis_lead")
	admin.open("/admin/users")
	admin.accessible(1280)
	admin.shot("04-admin-users")

	// The editor writes a post, saves a second version, compares them and submits.
	editor := newPerson(t, alloc, "editor", 1280, 900)
	editor.setPassword(editorLink)
	editor.open("/posts/new")
	editor.accessible(1280)
	publishAt := time.Now().Add(3 * time.Minute).UTC().Format("2006-01-02T15:04")
	clientID := eval[string](editor, `Array.from(document.querySelectorAll("#client_id option")).find(function(o){return o.textContent==="Fromagerie Lumen"}).value`)
	editor.run(
		chromedp.SetValue(css("#client_id"), clientID),
		chromedp.SendKeys(css("#title"), "Raclette season"),
		chromedp.SendKeys(css("#body"), "La saison de la raclette commence demain !"),
		chromedp.Click(css("input[name=channels][value=instagram]")),
		chromedp.Click(css("input[name=channels][value=x]")),
		chromedp.SetValue(css("#publish_at"), publishAt),
	)
	editor.shot("05-post-new")
	editor.submit("form[action='/posts'] button[type=submit]")
	postPath := eval[string](editor, `location.pathname`)
	postID := strings.TrimPrefix(postPath, "/posts/")
	editor.run(chromedp.SetValue(css("#body"), "La saison de la raclette commence ce vendredi !"))
	editor.submit("#save-post")
	require.Equal(t, "demain ", eval[string](editor, `Array.from(document.querySelectorAll(".diff .body del")).map(function(e){return e.textContent}).join("|")`))
	require.Contains(t, eval[string](editor, `Array.from(document.querySelectorAll(".diff .body ins")).map(function(e){return e.textContent}).join("|")`), "vendredi")
	editor.accessible(1280)
	editor.shot("06-post-editor-diff")
	editor.submit("#submit-post")
	require.Equal(t, "in_review", eval[string](editor, `document.querySelector("#post-status").dataset.status`))

	// A second staff member reviews it.
	reviewer := newPerson(t, alloc, "reviewer", 1280, 900)
	reviewer.setPassword(reviewerLink)
	reviewer.open(postPath)
	reviewer.shot("07-post-review")
	reviewer.submit("#review-approve")
	require.Equal(t, "awaiting_client", eval[string](reviewer, `document.querySelector("#post-status").dataset.status`))

	// The client opens the emailed link on a phone and approves.
	var link string
	eventually(t, 20*time.Second, func() bool {
		for _, m := range mails(t, clientEmail) {
			if l := linkRE.FindString(m.Text); l != "" {
				link = l
				return true
			}
		}
		return false
	}, "the approval email")
	client := newPerson(t, alloc, "client", 360, 740)
	client.open(link)
	require.Contains(t, client.text("main"), "ce vendredi")
	require.Contains(t, client.text("main"), "Fromagerie Lumen")
	client.accessible(360)
	client.shot("08-client-approval-phone")
	client.submit("button[value=approve]")
	require.Contains(t, client.text(".done"), "approval is recorded")
	client.shot("09-client-confirmation-phone")
	client.open(link)
	require.Contains(t, client.text("main"), "already used")
	client.shot("10-client-used-link-phone")

	// The board and the calendar show it scheduled.
	editor.open("/board")
	editor.waitFor(fmt.Sprintf(`!!document.querySelector("[data-status=scheduled] [data-post='%s']")`, postID), 10*time.Second, "the post in the scheduled column")
	editor.accessible(1280)
	editor.shot("11-board-scheduled")
	editor.open("/calendar?view=week")
	editor.waitFor(fmt.Sprintf(`!!document.querySelector(".event[data-post='%s']")`, postID), 5*time.Second, "the post in the calendar")
	editor.shot("12-calendar-week")
	phone := newPerson(t, alloc, "editor-phone", 360, 740)
	phone.setPassword(admin.invite(fmt.Sprintf("eddie2-%d@agency.test", stamp), "Eddie Phone", "editor"))
	phone.open("/board")
	phone.accessible(360)
	phone.shot("13-board-phone")

	// Crisis: the lead starts bad-buzz; a second window shows the timeline update live.
	lead := newPerson(t, alloc, "lead", 1280, 900)
	lead.setPassword(leadLink)
	lead.open("/crises")
	lead.accessible(1280)
	lead.run(
		chromedp.SetValue(css("#client_id"), clientID),
		chromedp.SetValue(css("#playbook"), "bad-buzz"),
		chromedp.SendKeys(css("#summary"), "Une vidéo de fromage moisi circule"),
	)
	lead.submit("#start-crisis")
	warRoom := eval[string](lead, `location.pathname`)
	lead.accessible(1280)
	lead.shot("14-war-room")

	watcher := newPerson(t, alloc, "watcher", 1280, 900)
	watcher.setPassword(admin.invite(fmt.Sprintf("wanda-%d@agency.test", stamp), "Wanda Watcher", "crisis_lead"))
	watcher.open(warRoom)
	before := eval[int](watcher, `document.querySelectorAll("#timeline li").length`)
	eval[bool](watcher, `window.__noReload = true`)

	lead.run(
		chromedp.SendKeys(css("#note-assemble"), "Cellule ouverte"),
	)
	lead.submit("button[data-complete=assemble]")
	// The freeze step is done from the start (shipped playbooks hold publishing at once), so
	// wait for assemble's own step_done line.
	watcher.waitFor(`[...document.querySelectorAll("#timeline li[data-event=step_done]")].some(li => li.textContent.includes("assemble")) && window.__noReload === true`, 15*time.Second,
		"the completed step in the timeline, without a reload")
	after := eval[int](watcher, `document.querySelectorAll("#timeline li").length`)
	require.Greater(t, after, before)
	require.Contains(t, watcher.text("#timeline"), "Cellule ouverte")
	watcher.shot("15-war-room-live")
	lead.open(warRoom + "/report")
	require.Contains(t, lead.text(".report"), "Post-mortem")
	lead.shot("16-report")
	leadPhone := newPerson(t, alloc, "lead-phone", 360, 740)
	leadPhone.setPassword(admin.invite(fmt.Sprintf("lea2-%d@agency.test", stamp), "Léa Phone", "crisis_lead"))
	leadPhone.open(warRoom)
	leadPhone.accessible(360)
	leadPhone.shot("17-war-room-phone")

	attachMedia(t, editor, phone, clientID)
	connectBluesky(t, editor, phone, clientID)
}

// connectBluesky: from the client's page the editor opens its connected accounts and
// connects an account of the local Bluesky PDS with an app password; a wrong one is
// answered next to the form. The phone shows the page at 360 px.
func connectBluesky(t *testing.T, editor, phone *person, clientID string) {
	pds := pdstest.Start(t)
	acct := pds.CreateAccount(t, "lumen")
	editor.open("/admin/clients/" + clientID)
	editor.submit("#accounts-link")
	require.Equal(t, "/clients/"+clientID+"/accounts", eval[string](editor, `location.pathname`))
	editor.accessible(1280)
	editor.run(
		chromedp.SetValue(css("#bsky-service"), pds.URL),
		chromedp.SendKeys(css("#bsky-handle"), acct.Handle),
		chromedp.SendKeys(css("#bsky-password"), "wrong-app-password"),
	)
	editor.submit("#bsky-connect")
	require.Contains(t, editor.text("#bsky-error"), "app_password: wrong handle or app password")
	require.Equal(t, acct.Handle, editor.value("#bsky-handle"), "what was typed is kept")
	require.Empty(t, editor.value("#bsky-password"), "the password is not sent back")
	editor.run(chromedp.SendKeys(css("#bsky-password"), acct.Password))
	editor.submit("#bsky-connect")
	require.Contains(t, editor.text("main"), "Account connected.")
	require.Equal(t, "active", eval[string](editor, `document.querySelector("#accounts .account").dataset.status`))
	require.Contains(t, editor.text("#accounts"), "@"+acct.Handle)
	editor.shot("20-accounts")
	phone.open("/clients/" + clientID + "/accounts")
	phone.accessible(360)
	phone.shot("21-accounts-phone")
}

// attachMedia: the editor adds two images with the file picker and a third by dropping it
// on the drop zone (each upload shows a progress bar), writes alt texts, moves an image up
// with the keyboard, removes one and saves: the post's version carries the files in that
// order with their alt texts, and the phone shows the editor at 360 px.
func attachMedia(t *testing.T, editor, phone *person, clientID string) {
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "red.png"), filepath.Join(dir, "blue.png")}
	for i, c := range []color.RGBA{{200, 30, 30, 255}, {30, 30, 200, 255}} {
		img := image.NewRGBA(image.Rect(0, 0, 320, 240))
		for y := range 240 {
			for x := range 320 {
				img.Set(x, y, c)
			}
		}
		var b bytes.Buffer
		require.NoError(t, png.Encode(&b, img))
		require.NoError(t, os.WriteFile(files[i], b.Bytes(), 0o644))
	}
	editor.open("/posts/new")
	publishAt := time.Now().Add(2 * time.Hour).UTC().Format("2006-01-02T15:04")
	editor.run(
		chromedp.SetValue(css("#client_id"), clientID),
		chromedp.SendKeys(css("#title"), "Plateau de fromages"),
		chromedp.SendKeys(css("#body"), "Trois fromages, trois photos."),
		chromedp.Click(css("input[name=channels][value=instagram]")),
		chromedp.SetValue(css("#publish_at"), publishAt),
		chromedp.SetUploadFiles(css("#media-file"), files),
	)
	editor.waitFor(`document.querySelectorAll("#media-list .mediaitem").length === 2`, 20*time.Second, "two uploaded images")
	// A third file dropped on the drop zone (a PNG drawn in the page).
	eval[bool](editor, `(function(){
		var c = document.createElement("canvas"); c.width = 200; c.height = 150;
		var g = c.getContext("2d"); g.fillStyle = "#1e8c3a"; g.fillRect(0, 0, 200, 150);
		c.toBlob(function(b){
			var dt = new DataTransfer();
			dt.items.add(new File([b], "green.png", {type: "image/png"}));
			var zone = document.getElementById("media-drop");
			zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
			zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		}, "image/png");
		return true;
	})()`)
	editor.waitFor(`document.querySelectorAll("#media-list .mediaitem").length === 3`, 20*time.Second, "the dropped image")
	require.Zero(t, eval[int](editor, `document.querySelectorAll("#media-uploads .failed").length`), "no failed upload")
	ids := eval[[]string](editor, `Array.from(document.querySelectorAll("#media-list .mediaitem")).map(function(li){return li.dataset.id})`)
	require.Len(t, ids, 3)
	red, blue, green := ids[0], ids[1], ids[2]
	if eval[string](editor, `document.querySelector("#media-list .mediaitem").querySelector("img").src`) == "" {
		t.Fatal("no thumbnail")
	}
	editor.run(
		chromedp.SendKeys(css("#alt-"+red), "Tomme rouge"),
		chromedp.SendKeys(css("#alt-"+blue), "Bleu d'Auvergne"),
		chromedp.SendKeys(css("#alt-"+green), "Fromage aux herbes"),
	)
	// Move blue up with the keyboard: focus its button and press Enter; focus stays on it.
	editor.run(chromedp.Focus(css(".mediaitem[data-id='"+blue+"'] button[data-move=up]")), chromedp.KeyEvent("\r"))
	require.Equal(t, []string{blue, red, green}, eval[[]string](editor, `Array.from(document.querySelectorAll("#media-list input[name=media_id]")).map(function(i){return i.value})`))
	require.Equal(t, blue, eval[string](editor, `document.activeElement.closest(".mediaitem").dataset.id`), "focus follows the moved item")
	editor.run(chromedp.Click(css(".mediaitem[data-id='" + red + "'] button[data-remove]")))
	editor.accessible(1280)
	editor.shot("18-post-new-media")
	editor.submit("form[action='/posts'] button[type=submit]")
	postID := strings.TrimPrefix(eval[string](editor, `location.pathname`), "/posts/")
	require.True(t, strings.HasPrefix(postID, "pst_"), "saved: %s", postID)

	post := adminAPI(t).must(200, "GET", "/api/v1/posts/"+postID, nil)
	var got []string
	for _, m := range post["media"].([]any) {
		m := m.(map[string]any)
		got = append(got, m["id"].(string)+" "+m["alt"].(string))
	}
	require.Equal(t, []string{blue + " Bleu d'Auvergne", green + " Fromage aux herbes"}, got, "the version's media, in the order shown")
	require.Equal(t, []string{blue, green}, eval[[]string](editor, `Array.from(document.querySelectorAll("#media-list input[name=media_id]")).map(function(i){return i.value})`))
	require.Equal(t, 2, eval[int](editor, `document.querySelectorAll(".preview .pmedia img").length`), "the preview shows the images")

	phone.open("/posts/" + postID)
	phone.accessible(360)
	phone.shot("19-post-media-phone")
}
