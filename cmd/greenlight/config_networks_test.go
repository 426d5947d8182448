package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/publish"
)

// The networks' apps come from the environment, Meta's for both Instagram and Facebook;
// half an app or a malformed API version stops every command.
func TestNetworksConfig(t *testing.T) {
	t.Setenv("GREENLIGHT_META_APP_ID", "meta-id")
	t.Setenv("GREENLIGHT_META_APP_SECRET", "meta-secret")
	t.Setenv("GREENLIGHT_X_CLIENT_ID", "x-id")
	t.Setenv("GREENLIGHT_X_CLIENT_SECRET", "x-secret")
	c := envConfig()
	require.Empty(t, c.errs)
	meta := publish.OAuthApp{ClientID: "meta-id", ClientSecret: "meta-secret"}
	require.Equal(t, map[string]publish.OAuthApp{"instagram": meta, "facebook": meta, "x": {ClientID: "x-id", ClientSecret: "x-secret"}}, c.networks.Apps)
	require.False(t, c.networks.App("linkedin").Configured(), "LinkedIn is not configured")
	require.Equal(t, defaultLinkedInVersion, c.networks.LinkedInVersion)
	require.Equal(t, defaultGraphVersion, c.networks.MetaGraphVersion)

	t.Setenv("GREENLIGHT_LINKEDIN_CLIENT_ID", "li-id")
	t.Setenv("GREENLIGHT_X_CLIENT_SECRET", "")
	t.Setenv("GREENLIGHT_LINKEDIN_VERSION", "2025-10")
	t.Setenv("GREENLIGHT_META_GRAPH_VERSION", "21")
	err := envConfig().check("api")
	require.ErrorContains(t, err, "GREENLIGHT_LINKEDIN_CLIENT_SECRET: required with GREENLIGHT_LINKEDIN_CLIENT_ID")
	require.ErrorContains(t, err, "GREENLIGHT_X_CLIENT_SECRET: required with GREENLIGHT_X_CLIENT_ID")
	require.ErrorContains(t, err, "GREENLIGHT_LINKEDIN_VERSION: must be a version such as 202603")
	require.ErrorContains(t, err, "GREENLIGHT_META_GRAPH_VERSION: must be a version such as v25.0")
}
