package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMaskPath(t *testing.T) {
	for in, want := range map[string]string{
		"/approve/gl_abc":         "/approve/<token>",
		"/approve/anything":       "/approve/<token>",
		"/invite/gli_abc":         "/invite/<token>",
		"/invite/":                "/invite/",
		"/calendar/glc_abc.ics":   "/calendar/<token>",
		"/hooks/mentions/glw_abc": "/hooks/mentions/<token>",
		"/portal/glp_abc/posts/pst_1/certificate.pdf": "/portal/<token>/posts/pst_1/certificate.pdf",
		"/portal/anything":                            "/portal/<token>",
		"/x/glp_leaked":                               "/x/<token>",
		"/api/v1/posts/pst_1":                         "/api/v1/posts/pst_1",
		"/api/v1/posts/glk_leaked/x":                  "/api/v1/posts/<token>/x",
		"/x/gls_session":                              "/x/<token>",
		"/":                                           "/",
	} {
		require.Equal(t, want, maskPath(in), in)
	}
}
