package service

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// parseService parses the package's non-test files.
func parseService(t *testing.T) []*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		require.NoError(t, err)
		files = append(files, f)
	}
	return files
}

// Every Action constant has a row in the policy table.
func TestEveryActionIsInThePolicy(t *testing.T) {
	n := 0
	for _, f := range parseService(t) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Action" {
					continue
				}
				for _, name := range vs.Names {
					n++
					_, ok := policy[Action(constValue(t, vs, name))]
					require.True(t, ok, "%s has no rule in policy", name.Name)
				}
			}
		}
	}
	require.Greater(t, n, 30)
}

func constValue(t *testing.T, vs *ast.ValueSpec, name *ast.Ident) string {
	for i, n := range vs.Names {
		if n == name {
			lit, ok := vs.Values[i].(*ast.BasicLit)
			require.True(t, ok, "%s is not a literal", name.Name)
			return strings.Trim(lit.Value, `"`)
		}
	}
	t.Fatalf("no value for %s", name.Name)
	return ""
}

// Every exported method acting for a staff user (a *store.User parameter) asks the policy,
// directly or through a helper that does: a new method cannot forget it.
func TestEveryActorMethodAsksThePolicy(t *testing.T) {
	bodies := map[string]*ast.BlockStmt{}
	var actorMethods []string
	for _, f := range parseService(t) {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			bodies[fn.Name.Name] = fn.Body
			if fn.Recv == nil || !fn.Name.IsExported() {
				continue
			}
			for _, p := range fn.Type.Params.List {
				if star, ok := p.Type.(*ast.StarExpr); ok {
					if sel, ok := star.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "User" {
						actorMethods = append(actorMethods, fn.Name.Name)
					}
				}
			}
		}
	}
	asks := map[string]bool{"authorize": true}
	for changed := true; changed; {
		changed = false
		for name, body := range bodies {
			if asks[name] {
				continue
			}
			ast.Inspect(body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var callee string
				switch f := call.Fun.(type) {
				case *ast.Ident:
					callee = f.Name
				case *ast.SelectorExpr:
					// s.method(...) only: s.Store.Client is not Service.Client.
					if recv, ok := f.X.(*ast.Ident); ok && recv.Name == "s" {
						callee = f.Sel.Name
					}
				}
				if asks[callee] {
					asks[name], changed = true, true
					return false
				}
				return true
			})
		}
	}
	require.Greater(t, len(actorMethods), 30)
	for _, m := range actorMethods {
		require.True(t, asks[m], "Service.%s acts for a user but never asks authorize", m)
	}
}
