package api

import (
	"reflect"
	"slices"
	"strings"
	"time"
)

// schemaOf reflects a JSON Schema (2020-12) from a Go type as encoding/json writes it:
// exported fields by their json names, embedded structs flattened, omitempty fields
// optional, pointers nullable, time.Time a date-time string. Schemas of types that have a
// Go type are reflected this way so that they cannot drift from the code.
func schemaOf(t reflect.Type) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s map[string]any
	switch {
	case t == reflect.TypeOf(time.Time{}):
		s = map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		// A nil slice is written as null: the handlers answer empty lists, but say so.
		s = map[string]any{"type": []any{"array", "null"}, "items": schemaOf(t.Elem())}
	case t.Kind() == reflect.Map:
		s = map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case t.Kind() == reflect.Struct:
		props, required := map[string]any{}, []any{}
		structFields(t, props, &required)
		s = map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
	default: // interfaces: any JSON value
		return map[string]any{}
	}
	if nullable {
		s["type"] = []any{s["type"], "null"}
	}
	return s
}

// structFields adds t's fields to props; as in encoding/json, a field of t hides a field
// of the same name in a struct t embeds.
func structFields(t reflect.Type, props map[string]any, required *[]any) {
	type embedded struct {
		props    map[string]any
		required []any
	}
	var inner []embedded
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				e := embedded{props: map[string]any{}}
				structFields(ft, e.props, &e.required)
				inner = append(inner, e)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
	for _, e := range inner {
		for name, s := range e.props {
			if _, hidden := props[name]; !hidden {
				props[name] = s
			}
		}
		for _, name := range e.required {
			if !slices.Contains(*required, name) && props[name.(string)] != nil && e.props[name.(string)] != nil {
				if _, shadowed := findShadow(t, name.(string)); !shadowed {
					*required = append(*required, name)
				}
			}
		}
	}
}

// findShadow reports whether t declares a direct (non-embedded) field named name.
func findShadow(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			continue
		}
		n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if n == "" {
			n = f.Name
		}
		if n == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
