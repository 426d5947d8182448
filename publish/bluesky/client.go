// Package bluesky publishes posts to a Bluesky (AT Protocol) PDS over XRPC. It is written
// from the lexicons: com.atproto.server.createSession and refreshSession for the session,
// com.atproto.repo.uploadBlob, createRecord, getRecord and listRecords for the repo, and
// app.bsky.feed.post (with app.bsky.richtext.facet links and app.bsky.embed.images) for the
// record.
//
// A Client keeps one session: it logs in once (Login) or resumes a stored session (Resume),
// and when the PDS refuses the access token it refreshes the session once with the refresh
// token and repeats the call. It never logs in again by itself: the PDS rate-limits
// createSession, and a session that cannot be refreshed means the account needs reconnecting
// (an *Error of KindAuth).
//
// Publishing is split as the publishing layer needs it: Prepare uploads the images
// (invisible, safe to retry) and builds the record; Create is the one visible act, made
// idempotent by a record key derived from (post, version, channel) with RecordKey.
package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Session is what a PDS hands out at login. Store it (encrypted: the tokens are
// credentials) and give it back with Resume; the refresh token rotates on every refresh, so
// store it again from Client.OnSession.
type Session struct {
	DID        string `json:"did"`
	Handle     string `json:"handle"`
	AccessJwt  string `json:"accessJwt"`
	RefreshJwt string `json:"refreshJwt"`
}

// Client talks to one PDS for one account. It is safe for concurrent use; at most one
// refresh runs at a time.
type Client struct {
	http    *http.Client
	service string // base URL without a trailing slash

	// OnSession, when set, is called (under the client's lock) with every new session:
	// after Login and after each refresh. Persist it there.
	OnSession func(Session)

	// SaveSession, when set, is called with every refreshed session before the client
	// takes it (and before OnSession). The refresh token rotates on a refresh, so a session
	// that could not be stored is not used: an error stops the call with KindRetryable and
	// the client keeps its old session (the PDS keeps the old refresh token valid for a grace
	// period, so the next attempt can refresh again).
	SaveSession func(context.Context, Session) error

	now func() time.Time

	mu   sync.Mutex
	sess Session
}

// New returns a client for the PDS at serviceURL (e.g. "https://bsky.social") using hc for
// every request; hc carries the timeouts and outbound policy.
func New(hc *http.Client, serviceURL string) (*Client, error) {
	u, err := url.Parse(serviceURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("bluesky: service URL %q must be an absolute http(s) URL", serviceURL)
	}
	if hc == nil {
		return nil, errors.New("bluesky: an *http.Client is required")
	}
	return &Client{http: hc, service: strings.TrimRight(serviceURL, "/"), now: time.Now}, nil
}

// Session returns the current session (zero before Login or Resume).
func (c *Client) Session() Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// Resume makes s the client's session, as stored after an earlier Login.
func (c *Client) Resume(s Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
}

// Login creates a session with com.atproto.server.createSession. identifier is a handle,
// DID or email; password should be an app password. A wrong password is KindAuth.
func (c *Client) Login(ctx context.Context, identifier, password string) (Session, error) {
	const method = "com.atproto.server.createSession"
	body, err := json.Marshal(map[string]string{"identifier": identifier, "password": password})
	if err != nil {
		return Session{}, err
	}
	var s Session
	// A wrong password is 401 AuthenticationRequired: KindAuth.
	if err := c.send(ctx, method, http.MethodPost, nil, body, "application/json", "", &s); err != nil {
		return Session{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
	if c.OnSession != nil {
		c.OnSession(s)
	}
	return s, nil
}

// Refresh exchanges the refresh token for a new session (com.atproto.server.refreshSession).
// Calls refresh by themselves when the access token is refused; Refresh is for callers that
// want to refresh ahead of time.
func (c *Client) Refresh(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refreshLocked(ctx)
}

// refreshAfter refreshes the session unless another call already replaced the access token
// that was refused (stale), in which case the new one is simply used.
func (c *Client) refreshAfter(ctx context.Context, stale string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess.AccessJwt != stale {
		return nil
	}
	return c.refreshLocked(ctx)
}

func (c *Client) refreshLocked(ctx context.Context) error {
	const method = "com.atproto.server.refreshSession"
	if c.sess.RefreshJwt == "" {
		return &Error{Kind: KindAuth, Method: method, Message: "no session: log in first"}
	}
	var s Session
	if err := c.send(ctx, method, http.MethodPost, nil, nil, "", c.sess.RefreshJwt, &s); err != nil {
		var e *Error
		// A refused refresh token cannot get better by retrying: reconnect the account.
		if errors.As(err, &e) && e.Kind == KindPermanent && e.Status == http.StatusBadRequest {
			e.Kind = KindAuth
		}
		return err
	}
	if s.DID == "" {
		s.DID = c.sess.DID
	}
	if s.Handle == "" {
		s.Handle = c.sess.Handle
	}
	if c.SaveSession != nil {
		if err := c.SaveSession(ctx, s); err != nil {
			return &Error{Kind: KindRetryable, Method: method, Message: "storing the refreshed session", Err: err}
		}
	}
	c.sess = s
	if c.OnSession != nil {
		c.OnSession(s)
	}
	return nil
}

// authed sends a request with the access token; if the PDS refuses the token, it refreshes
// the session once and sends the request again. A second refusal is KindAuth.
func (c *Client) authed(ctx context.Context, method, httpMethod string, query url.Values, body []byte, contentType string, out any) error {
	tok := c.Session().AccessJwt
	if tok == "" {
		return &Error{Kind: KindAuth, Method: method, Message: "no session: log in first"}
	}
	err := c.send(ctx, method, httpMethod, query, body, contentType, tok, out)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAuth {
		return err
	}
	if rerr := c.refreshAfter(ctx, tok); rerr != nil {
		return rerr
	}
	return c.send(ctx, method, httpMethod, query, body, contentType, c.Session().AccessJwt, out)
}

// xrpcError is the body of every failed XRPC call.
type xrpcError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// maxResponse bounds how much of a PDS answer is read.
const maxResponse = 4 << 20

// send performs one XRPC call. A nil body sends no body; a non-nil out receives the JSON
// answer.
func (c *Client) send(ctx context.Context, method, httpMethod string, query url.Values, body []byte, contentType, token string, out any) error {
	u := c.service + "/xrpc/" + method
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, httpMethod, u, rd)
	if err != nil {
		return &Error{Kind: KindPermanent, Method: method, Message: "building the request", Err: err}
	}
	if body != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Kind: KindRetryable, Method: method, Message: "no answer", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &Error{Kind: KindRetryable, Method: method, Status: resp.StatusCode, Message: "reading the answer", Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var xe xrpcError
		_ = json.Unmarshal(data, &xe) // a proxy's HTML error page leaves it empty
		if xe.Message == "" && xe.Error == "" {
			xe.Message = strings.TrimSpace(string(data))
			if len(xe.Message) > 200 {
				xe.Message = xe.Message[:200]
			}
		}
		return classify(method, resp, xe.Error, xe.Message, c.now())
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Kind: KindRetryable, Method: method, Status: resp.StatusCode, Message: "unreadable answer", Err: err}
	}
	return nil
}

// Ref names one record: its at:// URI and the CID of its content.
type Ref struct {
	URI string `json:"uri"`
	CID string `json:"cid"`
}

// RKey returns the record key, the last segment of the URI.
func (r Ref) RKey() string { return r.URI[strings.LastIndexByte(r.URI, '/')+1:] }

// Blob is a reference to an uploaded blob, as records embed it.
type Blob struct {
	Type     string  `json:"$type"`
	Ref      CIDLink `json:"ref"`
	MimeType string  `json:"mimeType"`
	Size     int64   `json:"size"`
}

// CIDLink is a CID in the JSON encoding of atproto data.
type CIDLink struct {
	Link string `json:"$link"`
}

// UploadBlob uploads data (com.atproto.repo.uploadBlob). The blob stays invisible, and is
// garbage-collected by the PDS, until a record refers to it; uploading again is harmless.
func (c *Client) UploadBlob(ctx context.Context, data []byte, mimeType string) (Blob, error) {
	var out struct {
		Blob Blob `json:"blob"`
	}
	if err := c.authed(ctx, "com.atproto.repo.uploadBlob", http.MethodPost, nil, data, mimeType, &out); err != nil {
		return Blob{}, err
	}
	return out.Blob, nil
}

// CreateRecord creates record in the session's repo (com.atproto.repo.createRecord) under
// rkey (empty: the PDS picks a TID). It is one bare call: to publish, use Create, which
// makes a retry safe.
func (c *Client) CreateRecord(ctx context.Context, collection, rkey string, record any) (Ref, error) {
	in := map[string]any{"repo": c.Session().DID, "collection": collection, "record": record}
	if rkey != "" {
		in["rkey"] = rkey
	}
	body, err := json.Marshal(in)
	if err != nil {
		return Ref{}, &Error{Kind: KindPermanent, Method: "com.atproto.repo.createRecord", Message: "encoding the record", Err: err}
	}
	var out Ref
	if err := c.authed(ctx, "com.atproto.repo.createRecord", http.MethodPost, nil, body, "application/json", &out); err != nil {
		return Ref{}, err
	}
	return out, nil
}

// Record is one record as getRecord and listRecords return it.
type Record struct {
	URI   string          `json:"uri"`
	CID   string          `json:"cid"`
	Value json.RawMessage `json:"value"`
}

// ErrNotFound is returned by GetRecord when the repo has no record under that key.
var ErrNotFound = errors.New("bluesky: record not found")

// GetRecord reads one record (com.atproto.repo.getRecord); repo is a DID or handle (empty:
// the session's own). A missing record is ErrNotFound.
func (c *Client) GetRecord(ctx context.Context, repo, collection, rkey string) (Record, error) {
	if repo == "" {
		repo = c.Session().DID
	}
	q := url.Values{"repo": {repo}, "collection": {collection}, "rkey": {rkey}}
	var out Record
	// Reads are public: no token, so an expired one cannot fail them.
	err := c.send(ctx, "com.atproto.repo.getRecord", http.MethodGet, q, nil, "", "", &out)
	var e *Error
	if errors.As(err, &e) && (e.Code == "RecordNotFound" || e.Status == http.StatusNotFound) {
		return Record{}, ErrNotFound
	}
	return out, err
}

// ListRecords lists a page of a collection (com.atproto.repo.listRecords), newest first;
// repo empty means the session's own. It returns the records and the cursor of the next
// page ("" at the end).
func (c *Client) ListRecords(ctx context.Context, repo, collection string, limit int, cursor string) ([]Record, string, error) {
	if repo == "" {
		repo = c.Session().DID
	}
	q := url.Values{"repo": {repo}, "collection": {collection}}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var out struct {
		Cursor  string   `json:"cursor"`
		Records []Record `json:"records"`
	}
	if err := c.send(ctx, "com.atproto.repo.listRecords", http.MethodGet, q, nil, "", "", &out); err != nil {
		return nil, "", err
	}
	return out.Records, out.Cursor, nil
}
