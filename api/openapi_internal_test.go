package api

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSchemaOf checks the reflected schemas say what encoding/json writes.
func TestSchemaOf(t *testing.T) {
	type inner struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Tags []int  `json:"tags,omitempty"`
	}
	type outer struct {
		inner
		Name    int        `json:"name"` // hides inner's name
		At      time.Time  `json:"at"`
		Done    *time.Time `json:"done"`
		Secret  string     `json:"-"`
		private string
		Any     any `json:"any,omitempty"`
	}
	for _, tc := range []struct {
		name string
		typ  any
		want string
	}{
		{"scalar", "", `{"type":"string"}`},
		{"embedded, hidden, omitempty, nullable, time", outer{}, `{"type":"object","required":["name","at","done","id"],"properties":{
			"id":{"type":"string"},"name":{"type":"integer"},"tags":{"type":["array","null"],"items":{"type":"integer"}},
			"at":{"type":"string","format":"date-time"},"done":{"type":["string","null"],"format":"date-time"},"any":{}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(schemaOf(reflect.TypeOf(tc.typ)))
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(got))
		})
	}
}
