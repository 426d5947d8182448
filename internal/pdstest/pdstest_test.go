package pdstest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStartCreateAccountStop(t *testing.T) {
	p := Start(t)
	for _, raw := range []string{p.URL, p.PLC} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1", u.Hostname(), "loopback only")
	}

	resp, err := http.Get(p.URL + "/xrpc/com.atproto.server.describeServer")
	require.NoError(t, err)
	var desc struct {
		InviteCodeRequired   bool     `json:"inviteCodeRequired"`
		AvailableUserDomains []string `json:"availableUserDomains"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&desc))
	resp.Body.Close()
	require.False(t, desc.InviteCodeRequired)
	require.Equal(t, []string{".test"}, desc.AvailableUserDomains)

	tests := []struct{ prefix string }{{"a"}, {"a-very-long-prefix-indeed"}}
	for _, tt := range tests {
		a := p.CreateAccount(t, tt.prefix)
		require.True(t, strings.HasPrefix(a.DID, "did:plc:"), a.DID)
		require.True(t, strings.HasSuffix(a.Handle, ".test"), a.Handle)
		require.NotEmpty(t, a.Password)
		// The PLC directory knows the DID: the PDS registered it there.
		resp, err := http.Get(p.PLC + "/" + a.DID)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}

	p.Stop()
	_, err = net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	require.Error(t, err, "stopped")
	p.Stop() // twice is fine
}

func TestInstallWithoutNodeFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Install(Dir())
	require.ErrorContains(t, err, "Node.js ≥ 20 is required")
}

func TestDirHoldsTheNodeSide(t *testing.T) {
	for _, f := range []string{"package.json", "package-lock.json", "index.js"} {
		_, err := os.Stat(Dir() + "/" + f)
		require.NoError(t, err, f)
	}
}
