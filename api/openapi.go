package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"gopkg.in/yaml.v3"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/events"
	"github.com/greenlight/greenlight/service"
)

// The API contract: an OpenAPI 3.1 document built from the operation table below and the
// component schemas in openapi/schemas.yaml. TestOpenAPIRoutes fails when the router and
// the table disagree; the e2e suite validates every real response against the document.
//
// To add an operation: register the route in New, add one line to apiOperations (method,
// Fiber path, id, tag, summary, request schema, success responses, query parameters). For
// its schemas, prefer a typed answer and a line in typedSchemas (reflected from the Go
// type); write a schema in openapi/schemas.yaml only for hand-built maps. A new tag needs a
// line in tagDescriptions. Error responses are added to every operation from commonErrors.
// Event payloads come from events.Payloads (the "webhooks" section).

//go:embed openapi/schemas.yaml
var openapiFiles embed.FS

// apiOp is one operation of /api/v1: Path is the Fiber pattern under /api/v1 (":id").
type apiOp struct {
	Method, Path, ID, Tag, Summary string
	// Request is a component schema name for a JSON body ("" when none).
	Request string
	// Responses maps a success status to its body: a component schema name, "" for no
	// body, "mime:<type>" for a non-JSON body, or several of these joined by "|".
	// Request takes the same forms, and "multipart:<schema>" for a form upload.
	Responses map[int]string
	// Query lists the optional query parameters.
	Query []string
}

// resp is shorthand for a single success response.
func resp(status int, schema string) map[int]string { return map[int]string{status: schema} }

var apiOperations = []apiOp{
	{"POST", "/users", "createUser", "users", "Create a user (admin); the answer carries the API key once", "NewUser", resp(201, "User"), nil},
	{"POST", "/clients", "createClient", "clients", "Create a client", "NewClient", resp(201, "Client"), nil},
	{"GET", "/clients", "listClients", "clients", "List the clients the caller can see", "", resp(200, "ClientList"), nil},
	{"GET", "/clients/:id", "getClient", "clients", "Get a client", "", resp(200, "Client"), nil},
	{"PATCH", "/clients/:id", "updateClient", "clients", "Change a client's settings (look, language, clock, timers)", "ClientPatch", resp(200, "Client"), nil},
	{"GET", "/clients/:id/approval-stats", "approvalStats", "clients", "Approval insights per month of the client's time zone", "", resp(200, "ApprovalStats"), []string{"from", "to"}},
	{"POST", "/clients/:id/approvers/:approver/portal", "sendPortal", "clients", "Send (or replace) an approver's portal link", "", resp(201, "PortalLink"), nil},
	{"DELETE", "/clients/:id/approvers/:approver/portal", "revokePortal", "clients", "Revoke an approver's portal link", "", resp(204, ""), nil},
	{"GET", "/networks", "listNetworks", "accounts", "The networks accounts can be connected to, and what each needs", "", resp(200, "NetworkList"), nil},
	{"POST", "/posts", "createPost", "posts", "Create a draft post (Idempotency-Key honoured)", "NewPost", resp(201, "PostDetail"), nil},
	{"GET", "/posts", "listPosts", "posts", "List posts, newest first, by cursor", "", resp(200, "PostList"), []string{"client_id", "status", "q", "cursor", "limit"}},
	{"GET", "/posts/:id", "getPost", "posts", "Get a post with its versions, decisions, history and channels", "", resp(200, "PostDetail"), nil},
	{"PATCH", "/posts/:id", "editPost", "posts", "Edit a post: a new version", "PostEdit", resp(200, "PostDetail"), nil},
	{"POST", "/posts/:id/submit", "submitPost", "posts", "Submit a draft for review", "", resp(200, "PostDetail"), nil},
	{"POST", "/posts/:id/review", "reviewPost", "posts", "Internal review decision on a version", "Review", resp(200, "PostDetail"), nil},
	{"POST", "/posts/:id/cancel", "cancelPost", "posts", "Cancel a post", "Cancel", resp(200, "PostDetail"), nil},
	{"POST", "/posts/:id/channels/:channel/settle", "settleChannel", "posts", "Settle a failed or unconfirmed channel (record live / publish again)", "Settle", resp(200, "PostDetail"), nil},
	{"POST", "/posts/:id/comments", "addComment", "comments", "Comment on a post", "NewComment", resp(201, "Comment"), nil},
	{"GET", "/posts/:id/comments", "listComments", "comments", "List a post's comments", "", resp(200, "CommentList"), nil},
	{"GET", "/posts/:id/certificate", "getCertificate", "posts", "The approval certificate: PDF, or JSON with Accept: application/json", "", map[int]string{200: "Certificate|mime:application/pdf"}, nil},
	{"GET", "/playbooks", "listPlaybooks", "crises", "List crisis playbooks", "", resp(200, "PlaybookList"), nil},
	{"GET", "/playbooks/:key", "getPlaybook", "crises", "Get a playbook", "", resp(200, "Playbook"), nil},
	{"POST", "/crises", "startCrisis", "crises", "Start a crisis from a playbook", "NewCrisis", resp(201, "Crisis"), nil},
	{"GET", "/crises", "listCrises", "crises", "List crises", "", resp(200, "CrisisList"), []string{"client_id", "status"}},
	{"GET", "/crises/:id", "getCrisis", "crises", "Get a crisis with steps, timeline and statements", "", resp(200, "Crisis"), nil},
	{"POST", "/crises/:id/steps/:key/complete", "completeStep", "crises", "Complete a step", "StepNote", resp(200, "Crisis"), nil},
	{"POST", "/crises/:id/steps/:key/assign", "assignStep", "crises", "Assign a step", "StepAssign", resp(200, "Crisis"), nil},
	{"POST", "/crises/:id/statements", "submitStatement", "crises", "Submit a holding statement for approval", "NewStatement", resp(200, "Crisis"), nil},
	{"POST", "/crises/:id/resolve", "resolveCrisis", "crises", "Resolve a crisis", "Resolve", resp(200, "Crisis"), nil},
	{"GET", "/crises/:id/report", "crisisReport", "crises", "The post-mortem report (Markdown)", "", resp(200, "mime:text/markdown"), nil},
	{"POST", "/clients/:id/mentions", "ingestMentions", "listening", "Ingest a batch of mentions (Idempotency-Key honoured)", "MentionBatch", resp(202, "IngestResult"), nil},
	{"GET", "/clients/:id/mentions/stats", "mentionStats", "listening", "Mention counts over a window and the last 24 hours", "", resp(200, "MentionStats"), []string{"window"}},
	{"GET", "/clients/:id/rules", "listRules", "listening", "List trigger rules", "", resp(200, "RuleList"), nil},
	{"POST", "/clients/:id/rules", "createRule", "listening", "Create a trigger rule", "NewRule", resp(201, "Rule"), nil},
	{"DELETE", "/clients/:id/rules/:rule", "deleteRule", "listening", "Delete a trigger rule", "", resp(204, ""), nil},
	{"GET", "/clients/:id/accounts", "listAccounts", "accounts", "List connected accounts", "", resp(200, "AccountList"), nil},
	{"POST", "/clients/:id/accounts", "connectAccount", "accounts", "Connect (201) or reconnect (200) an account", "ConnectAccount", map[int]string{200: "Account", 201: "Account"}, nil},
	{"DELETE", "/clients/:id/accounts/:account", "deleteAccount", "accounts", "Disconnect an account", "", resp(204, ""), nil},
	{"GET", "/clients/:id/contacts", "listContacts", "crises", "List crisis contacts", "", resp(200, "ContactList"), nil},
	{"PUT", "/clients/:id/contacts", "setContacts", "crises", "Replace crisis contacts", "SetContacts", resp(200, "ContactList"), nil},
	{"POST", "/clients/:id/media", "uploadMedia", "media", "Upload a media file (multipart; 201 new, 200 already in the library)", "multipart:MediaUpload", map[int]string{200: "Media", 201: "Media"}, nil},
	{"GET", "/media/:id", "getMedia", "media", "Get a media file's metadata and signed URLs", "", resp(200, "Media"), nil},
	{"GET", "/calendar-feed", "getCalendarFeed", "calendar", "The caller's calendar feed URL, minted on first call", "", resp(200, "CalendarFeed"), nil},
	{"DELETE", "/calendar-feed", "deleteCalendarFeed", "calendar", "Revoke the caller's calendar feed", "", resp(204, ""), nil},
	{"POST", "/clients/:id/sources", "createSource", "listening", "Create a listening source (RSS or signed inbound webhook)", "NewSource", resp(201, "Source"), nil},
	{"GET", "/clients/:id/sources", "listSources", "listening", "List listening sources", "", resp(200, "SourceList"), nil},
	{"DELETE", "/clients/:id/sources/:source", "deleteSource", "listening", "Delete a listening source", "", resp(204, ""), nil},
	{"POST", "/webhooks", "createWebhook", "webhooks", "Subscribe a URL to events; the answer carries the signing secret once", "NewWebhook", resp(201, "Webhook"), nil},
	{"GET", "/webhooks", "listWebhooks", "webhooks", "List webhook subscriptions", "", resp(200, "WebhookList"), nil},
	{"GET", "/webhooks/:id", "getWebhook", "webhooks", "Get a webhook subscription", "", resp(200, "Webhook"), nil},
	{"DELETE", "/webhooks/:id", "deleteWebhook", "webhooks", "Delete a webhook subscription", "", resp(204, ""), nil},
	{"GET", "/webhooks/:id/deliveries", "listDeliveries", "webhooks", "A subscription's deliveries with their attempts", "", resp(200, "DeliveryList"), nil},
	{"POST", "/webhooks/:id/deliveries/:delivery/redeliver", "redeliver", "webhooks", "Deliver an event again", "", resp(202, "Delivery"), nil},
}

// typedSchemas are the component schemas reflected from Go types (schemaOf): prefer a
// typed answer and a line here to a hand-written schema in openapi/schemas.yaml.
var typedSchemas = map[string]any{
	"User":          userJSON{},
	"Client":        clientJSON{},
	"Post":          postJSON{},
	"PostDetail":    postDetailOut{},
	"Approval":      approvalJSON{},
	"Comment":       commentJSON{},
	"Account":       accountJSON{},
	"Media":         mediaJSON{},
	"Source":        sourceJSON{},
	"Webhook":       WebhookJSON{},
	"Delivery":      DeliveryJSON{},
	"ApprovalStats": service.ApprovalStats{},
	"NetworkInfo":   service.NetworkInfo{},
}

// tagDescriptions describe the operations' tags (the lint test fails on a tag without one).
var tagDescriptions = map[string]string{
	"users":     "Staff users and their API keys",
	"clients":   "The agency's clients and their approvers",
	"posts":     "Posts: drafts, versions, review, client approval, publication",
	"comments":  "Comments on posts, internal or shared with the client",
	"crises":    "Crisis playbooks, crises, steps, statements and contacts",
	"listening": "Mentions, trigger rules and listening sources",
	"accounts":  "Connected social network accounts",
	"media":     "The client's media library",
	"calendar":  "The caller's iCalendar feed",
	"webhooks":  "Event webhook subscriptions and their delivery log (admins with no client limit)",
	"events":    "Events delivered to webhook subscriptions (payloads versioned: version is the data schema's)",
}

// commonErrors are the error statuses any authenticated operation may answer, with the
// one error shape; ErrorHandler maps the domain codes to them.
var commonErrors = map[int]string{
	400: "Malformed request (code malformed)",
	401: "Missing or bad API key (code unauthorized)",
	403: "Role or client scope forbids it (code forbidden)",
	404: "Unknown or invisible resource (code not_found)",
	409: "Wrong state or stale version (code conflict)",
	413: "Request body too large (code too_large)",
	422: "A field is invalid; the message names it (code invalid)",
	429: "Rate limited (code rate_limited)",
	500: "Internal error (code internal)",
	503: "A dependency is down; retry later (code unavailable)",
}

var fiberParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPIPath turns a Fiber pattern under /api/v1 into an OpenAPI path.
func openAPIPath(p string) string { return "/api/v1" + fiberParam.ReplaceAllString(p, "{$1}") }

func schemaRef(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// bodyContent is an OpenAPI content map for a response/request body spec (see apiOp).
func bodyContent(spec string) map[string]any {
	content := map[string]any{}
	for _, part := range strings.Split(spec, "|") {
		switch {
		case strings.HasPrefix(part, "mime:"):
			content[strings.TrimPrefix(part, "mime:")] = map[string]any{"schema": map[string]any{"type": "string"}}
		case strings.HasPrefix(part, "multipart:"):
			content["multipart/form-data"] = map[string]any{"schema": schemaRef(strings.TrimPrefix(part, "multipart:"))}
		default:
			content["application/json"] = map[string]any{"schema": schemaRef(part)}
		}
	}
	return content
}

var (
	openapiOnce sync.Once
	openapiDoc  map[string]any
	openapiErr  error
)

// OpenAPI returns the API contract as an OpenAPI 3.1 document (a JSON-able map).
func OpenAPI() (map[string]any, error) {
	openapiOnce.Do(func() { openapiDoc, openapiErr = buildOpenAPI() })
	return openapiDoc, openapiErr
}

func buildOpenAPI() (map[string]any, error) {
	raw, err := openapiFiles.ReadFile("openapi/schemas.yaml")
	if err != nil {
		return nil, err
	}
	var schemas map[string]any
	if err := yaml.Unmarshal(raw, &schemas); err != nil {
		return nil, fmt.Errorf("openapi schemas: %w", err)
	}
	tags := map[string]bool{}
	for name, v := range typedSchemas {
		schemas[name] = schemaOf(reflect.TypeOf(v))
	}
	webhooks := map[string]any{}
	for _, typ := range events.Types {
		name := eventSchemaName(typ)
		schemas[name] = schemaOf(reflect.TypeOf(events.Payloads[typ]))
		schemas[name+"Event"] = map[string]any{
			"description": "The body of a " + typ + " delivery.",
			"allOf": []any{schemaRef("EventEnvelope"), map[string]any{
				"type": "object",
				"properties": map[string]any{
					"type":    map[string]any{"const": typ},
					"version": map[string]any{"const": events.PayloadVersion},
					"data":    schemaRef(name),
				},
			}},
		}
		webhooks[typ] = map[string]any{"post": map[string]any{
			"operationId": "event_" + strings.ReplaceAll(typ, ".", "_"),
			"summary":     "Event " + typ,
			"description": "Delivered to subscriptions naming " + typ + ", signed as Standard Webhooks says (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 with the subscription's secret). Retried with backoff for 24 hours, in order per subject, until the receiver answers 2xx.",
			"tags":        []string{"events"},
			"security":    []any{},
			"parameters": []any{
				map[string]any{"name": "webhook-id", "in": "header", "required": true, "schema": map[string]any{"type": "string"}, "description": "The event's id: the same across retries and redeliveries."},
				map[string]any{"name": "webhook-timestamp", "in": "header", "required": true, "schema": map[string]any{"type": "string"}, "description": "Unix seconds of the attempt."},
				map[string]any{"name": "webhook-signature", "in": "header", "required": true, "schema": map[string]any{"type": "string"}, "description": "v1,<base64 HMAC-SHA256 of id.timestamp.body>"},
			},
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaRef(name + "Event")}}},
			"responses": map[string]any{
				"200": map[string]any{"description": "Any 2xx: delivered."},
				"410": map[string]any{"description": "Gone: the subscription is disabled."},
			},
		}}
	}
	tags["events"] = true
	// Enumerations that live in Go are taken from Go.
	roles := make([]any, 0, len(greenlight.Roles))
	for _, r := range greenlight.Roles {
		roles = append(roles, string(r))
	}
	schemas["User"].(map[string]any)["properties"].(map[string]any)["role"].(map[string]any)["enum"] = roles
	responses := map[string]any{}
	for status, desc := range commonErrors {
		responses[fmt.Sprintf("E%d", status)] = map[string]any{
			"description": desc,
			"content":     map[string]any{"application/json": map[string]any{"schema": schemaRef("Error")}},
		}
	}
	paths := map[string]any{}
	for _, op := range apiOperations {
		path := openAPIPath(op.Path)
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			var params []any
			for _, m := range fiberParam.FindAllStringSubmatch(op.Path, -1) {
				params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
			if params != nil {
				item["parameters"] = params
			}
			paths[path] = item
		}
		o := map[string]any{"operationId": op.ID, "summary": op.Summary, "tags": []string{op.Tag}}
		tags[op.Tag] = true
		if op.Request != "" {
			o["requestBody"] = map[string]any{"required": true, "content": bodyContent(op.Request)}
		}
		var qs []any
		for _, q := range op.Query {
			qs = append(qs, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		if qs != nil {
			o["parameters"] = qs
		}
		rs := map[string]any{}
		for status, spec := range op.Responses {
			r := map[string]any{"description": http.StatusText(status)}
			if spec != "" {
				r["content"] = bodyContent(spec)
			}
			rs[fmt.Sprint(status)] = r
		}
		for status := range commonErrors {
			rs[fmt.Sprint(status)] = map[string]any{"$ref": fmt.Sprintf("#/components/responses/E%d", status)}
		}
		o["responses"] = rs
		item[strings.ToLower(op.Method)] = o
	}
	var tagList []any
	for _, t := range sortedKeys(tags) {
		tagList = append(tagList, map[string]any{"name": t, "description": tagDescriptions[t]})
	}
	return map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":       "Greenlight API",
			"version":     "1",
			"description": "Social media approvals with proof. Every error answers {\"error\":{\"code\",\"message\"}}.",
			"license":     map[string]any{"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
		},
		"servers":  []any{map[string]any{"url": "/", "description": "This Greenlight server"}},
		"security": []any{map[string]any{"apiKey": []any{}}},
		"tags":     tagList,
		"paths":    paths,
		"webhooks": webhooks,
		"components": map[string]any{
			"schemas":   schemas,
			"responses": responses,
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{
					"type": "http", "scheme": "bearer",
					"description": "A user's API key (shown once when the user is created): Authorization: Bearer <key>. Session cookies are not accepted under /api/v1.",
				},
			},
		},
	}, nil
}

// eventSchemaName is the component name of an event type's payload: post.client_decided
// → PostClientDecidedData.
func eventSchemaName(typ string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(typ, func(r rune) bool { return r == '.' || r == '_' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String() + "Data"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// openapiJSON serves the document as JSON.
func openapiJSON(c *fiber.Ctx) error {
	doc, err := OpenAPI()
	if err != nil {
		return err
	}
	return c.JSON(doc)
}

// OpenAPIYAML returns the document as YAML.
func OpenAPIYAML() ([]byte, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	// Through JSON so that the YAML holds plain maps and lists only.
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return yaml.Marshal(v)
}

func openapiYAML(c *fiber.Ctx) error {
	b, err := OpenAPIYAML()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
	return c.Send(b)
}

// docsPage is /api/docs: a page rendered on the server from the document itself (no
// script, no CDN; its stylesheet is static/apidocs.css, embedded), listing every operation
// with its parameters, bodies and responses, the events and the schemas.
var docsPage = template.Must(template.New("docs").Funcs(template.FuncMap{"json": func(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Greenlight API</title>
<link rel="stylesheet" href="/static/apidocs.css"></head>
<body><h1>Greenlight API</h1>
<p>{{.Description}} Authenticate with <code>Authorization: Bearer &lt;API key&gt;</code>.
The machine-readable contract: <a href="/api/openapi.json">openapi.json</a>, <a href="/api/openapi.yaml">openapi.yaml</a>.</p>
<h2>Operations</h2><ul>{{range .Ops}}<li><a href="#{{.ID}}"><span class="m">{{.Method}}</span><code>{{.Path}}</code></a> {{.Summary}}</li>{{end}}</ul>
{{range .Ops}}<h3 id="{{.ID}}"><span class="m">{{.Method}}</span><code>{{.Path}}</code></h3><p>{{.Summary}}</p>
{{if .Query}}<p>Query: {{range .Query}}<code>{{.}}</code> {{end}}</p>{{end}}
{{if .Request}}<p>Request body: <a href="#schema-{{.Request}}">{{.Request}}</a></p>{{end}}
<p>Responses: {{range .Responses}}<code>{{.}}</code> {{end}}; errors: the error shape with 400, 401, 403, 404, 409, 413, 422, 429, 500, 503.</p>{{end}}
<h2>Event webhooks</h2><p>Subscriptions (<code>POST /api/v1/webhooks</code>) receive a signed POST per event (Standard Webhooks:
<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>), its body an
<a href="#schema-EventEnvelope">EventEnvelope</a> whose data is:</p><ul>{{range .Events}}<li><code>{{.Type}}</code>: <a href="#schema-{{.Schema}}">{{.Schema}}</a></li>{{end}}</ul>
<h2>Schemas</h2>{{range .Schemas}}<h3 id="schema-{{.Name}}">{{.Name}}</h3><pre>{{json .Schema}}</pre>{{end}}
</body></html>`))

type docsOp struct {
	Method, Path, ID, Summary, Request string
	Query, Responses                   []string
}

func apiDocs(c *fiber.Ctx) error {
	doc, err := OpenAPI()
	if err != nil {
		return err
	}
	var ops []docsOp
	for _, op := range apiOperations {
		d := docsOp{Method: op.Method, Path: openAPIPath(op.Path), ID: op.ID, Summary: op.Summary, Query: op.Query,
			Request: strings.TrimPrefix(op.Request, "multipart:")}
		for _, s := range sortedStatuses(op.Responses) {
			spec := op.Responses[s]
			if spec == "" {
				spec = "no body"
			}
			d.Responses = append(d.Responses, fmt.Sprintf("%d %s", s, spec))
		}
		ops = append(ops, d)
	}
	type named struct {
		Name   string
		Schema any
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	var ns []named
	for _, k := range sortedKeys(schemas) {
		ns = append(ns, named{k, schemas[k]})
	}
	type event struct{ Type, Schema string }
	var evs []event
	for _, typ := range events.Types {
		evs = append(evs, event{typ, eventSchemaName(typ)})
	}
	var b strings.Builder
	if err := docsPage.Execute(&b, map[string]any{"Description": doc["info"].(map[string]any)["description"], "Ops": ops, "Schemas": ns, "Events": evs}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString(b.String())
}

func sortedStatuses(m map[int]string) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
