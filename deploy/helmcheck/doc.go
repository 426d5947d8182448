// Package helmcheck holds the checks of the Helm chart in deploy/helm/greenlight: helm's
// own lint and render (helm used as a library at a pinned version), strict decoding of every
// rendered object into the official Kubernetes API types, and the chart's invariants. It is
// a separate Go module so that helm and the Kubernetes libraries stay out of Greenlight's
// go.mod; `make test` runs it.
package helmcheck
