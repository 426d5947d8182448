// Package networks lists the network publishers (publish.Connector) Greenlight ships, for
// the processes that publish (worker, dev) and check posts against network rules (api).
package networks

import (
	"net/http"

	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/bluesky"
)

// Connectors returns every shipped connector by network name, each reaching networks
// through hc (the shared outbound client).
func Connectors(hc *http.Client) map[string]publish.Connector {
	return map[string]publish.Connector{
		bluesky.Network: bluesky.Connector{HTTP: hc},
	}
}
