package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	glapi "github.com/greenlight/greenlight/api"
)

// Every response of the Greenlight API that the e2e suite receives is checked against the
// OpenAPI document (api.OpenAPI): its status must be documented for the operation and its
// JSON body valid against the documented schema. A violation fails the test that made the
// request (api.do passes its *testing.T in the request context); a violation in a request
// made without it (plain http.DefaultClient calls) fails the package in TestMain.

type ctxKey struct{}

// contractT marks a request as made by test t against a Greenlight server.
func contractT(ctx context.Context, t *testing.T) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// contract validates responses against the OpenAPI document.
type contract struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	ops      []contractOp
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
	orphans  []string // violations of requests without a test in their context
	checked  int
}

type contractOp struct {
	method  string
	re      *regexp.Regexp
	pointer string // JSON pointer of the operation in the document
	op      map[string]any
}

const contractURL = "file:///openapi.json"

func newContract() (*contract, error) {
	doc, err := glapi.OpenAPI()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var plain map[string]any
	if err := json.Unmarshal(b, &plain); err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(contractURL, inst); err != nil {
		return nil, err
	}
	k := &contract{doc: plain, compiler: c, schemas: map[string]*jsonschema.Schema{}}
	seg := regexp.MustCompile(`\{[^}]+\}`)
	for path, item := range plain["paths"].(map[string]any) {
		parts := seg.Split(path, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re := regexp.MustCompile("^" + strings.Join(parts, `[^/]+`) + "$")
		for method, op := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			k.ops = append(k.ops, contractOp{method: strings.ToUpper(method), re: re, op: op.(map[string]any),
				pointer: "/paths/" + escapePointer(path) + "/" + method})
		}
	}
	return k, nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func (k *contract) schema(pointer string) (*jsonschema.Schema, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.schemas[pointer]; ok {
		return s, nil
	}
	s, err := k.compiler.Compile(contractURL + "#" + pointer)
	if err != nil {
		return nil, err
	}
	k.schemas[pointer] = s
	return s, nil
}

// check returns why a response breaks the contract, or "" when it keeps it (or is not an
// /api/v1 operation: the drift test in api/ covers routes missing from the document).
func (k *contract) check(method, path string, status int, contentType string, body []byte) string {
	var op *contractOp
	for i := range k.ops {
		if k.ops[i].method == method && k.ops[i].re.MatchString(path) {
			op = &k.ops[i]
			break
		}
	}
	if op == nil {
		return ""
	}
	k.mu.Lock()
	k.checked++
	k.mu.Unlock()
	responses := op.op["responses"].(map[string]any)
	key := fmt.Sprint(status)
	r, ok := responses[key].(map[string]any)
	if !ok {
		return fmt.Sprintf("status %d is not documented for %s %s (body %.300s)", status, method, path, body)
	}
	pointer := op.pointer + "/responses/" + key
	if ref, ok := r["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/responses/")
		r = k.doc["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
		pointer = "/components/responses/" + name
	}
	content, _ := r["content"].(map[string]any)
	if len(content) == 0 {
		if len(bytes.TrimSpace(body)) > 0 {
			return fmt.Sprintf("%s %s %d: documented without a body, got %.300s", method, path, status, body)
		}
		return ""
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if _, ok := content[mt]; !ok {
		return fmt.Sprintf("%s %s %d: content type %q is not documented", method, path, status, contentType)
	}
	if mt != "application/json" {
		return ""
	}
	s, err := k.schema(pointer + "/content/application~1json/schema")
	if err != nil {
		return fmt.Sprintf("compile the schema of %s %s %d: %v", method, path, status, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Sprintf("%s %s %d: body is not JSON: %.300s", method, path, status, body)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Sprintf("%s %s %d: body does not match the documented schema: %v\nbody: %.2000s", method, path, status, err, body)
	}
	return ""
}

// contractTransport checks every response of a Greenlight server against the contract.
type contractTransport struct {
	next http.RoundTripper
	k    *contract
	// host is the shared stack's host; other servers are checked only when the request
	// carries a test (api.do).
	host func() string
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.next.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return resp, err
	}
	t, _ := req.Context().Value(ctxKey{}).(*testing.T)
	if t == nil && req.URL.Host != ct.host() {
		return resp, nil
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil // the caller sees the short body and fails on it
	}
	if msg := ct.k.check(req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), body); msg != "" {
		msg = "OpenAPI contract: " + msg
		if t != nil {
			t.Error(msg)
		} else {
			ct.k.mu.Lock()
			ct.k.orphans = append(ct.k.orphans, msg)
			ct.k.mu.Unlock()
		}
	}
	return resp, nil
}

// theContract is the package's contract, set by contractMain.
var theContract *contract

// checkEventBody requires an event webhook delivery's body to match the document's
// webhooks section for its type.
func checkEventBody(t *testing.T, typ string, body []byte) {
	t.Helper()
	require.NotNil(t, theContract, "the contract is installed by TestMain")
	s, err := theContract.schema("/webhooks/" + escapePointer(typ) + "/post/requestBody/content/application~1json/schema")
	require.NoError(t, err, "event type %s is not documented in the OpenAPI webhooks section", typ)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	require.NoError(t, err)
	require.NoError(t, s.Validate(inst), "OpenAPI contract: %s delivery body: %s", typ, body)
}

// installContract wraps http.DefaultTransport; the returned func reports violations not
// attributed to a test and the number of responses checked.
func installContract() (report func() ([]string, int), err error) {
	k, err := newContract()
	if err != nil {
		return nil, err
	}
	theContract = k
	http.DefaultTransport = &contractTransport{next: http.DefaultTransport, k: k, host: func() string {
		if stack == nil {
			return ""
		}
		u, err := url.Parse(stack.URL)
		if err != nil {
			return ""
		}
		return u.Host
	}}
	return func() ([]string, int) {
		k.mu.Lock()
		defer k.mu.Unlock()
		out := append([]string(nil), k.orphans...)
		sort.Strings(out)
		return out, k.checked
	}, nil
}

// contractMain runs the package's tests with the contract check installed, and fails the
// package on violations no test could be blamed for.
func contractMain(run func() int) int {
	report, err := installContract()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: OpenAPI contract:", err)
		return 1
	}
	code := run()
	orphans, checked := report()
	for _, o := range orphans {
		fmt.Fprintln(os.Stderr, o)
	}
	if len(orphans) > 0 && code == 0 {
		code = 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: %d API responses checked against the OpenAPI document\n", checked)
	}
	return code
}
