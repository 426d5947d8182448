package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight/internal/logging"
)

// temporalEnvVars configure how api and worker reach a Temporal server that needs TLS
// (a self-hosted cluster with its own CA, mTLS) or Temporal Cloud (mTLS or an API key).
// They are appended to envVars, so getenv, the README check and the compose check cover them.
var temporalEnvVars = []struct{ Name, Default, Help string }{
	{"GREENLIGHT_TEMPORAL_TLS", "false", "api, worker: connect to Temporal over TLS (implied by the other GREENLIGHT_TEMPORAL_TLS_* and GREENLIGHT_TEMPORAL_API_KEY)"},
	{"GREENLIGHT_TEMPORAL_TLS_CERT", "", "api, worker: client certificate (PEM file) for mTLS; with GREENLIGHT_TEMPORAL_TLS_KEY"},
	{"GREENLIGHT_TEMPORAL_TLS_KEY", "", "api, worker: private key (PEM file) of the client certificate"},
	{"GREENLIGHT_TEMPORAL_TLS_CA", "", "api, worker: CA certificates (PEM file) trusted for the server instead of the system's"},
	{"GREENLIGHT_TEMPORAL_TLS_SERVER_NAME", "", "api, worker: server name expected in Temporal's certificate, when it differs from the address"},
	{"GREENLIGHT_TEMPORAL_API_KEY", "", "api, worker: API key sent to Temporal (Temporal Cloud); turns TLS on"},
}

func init() { envVars = append(envVars, temporalEnvVars...) }

// temporalOptions returns the client options for c's Temporal address and namespace, with
// TLS and credentials from the GREENLIGHT_TEMPORAL_TLS* and GREENLIGHT_TEMPORAL_API_KEY
// variables. Unreadable or inconsistent files are errors.
func temporalOptions(c config, stderr io.Writer) (client.Options, error) {
	opts := client.Options{HostPort: c.temporalAddress, Namespace: c.temporalNamespace, Logger: logging.SDK(stderr)}
	cert, key, ca := getenv("GREENLIGHT_TEMPORAL_TLS_CERT"), getenv("GREENLIGHT_TEMPORAL_TLS_KEY"), getenv("GREENLIGHT_TEMPORAL_TLS_CA")
	serverName, apiKey := getenv("GREENLIGHT_TEMPORAL_TLS_SERVER_NAME"), getenv("GREENLIGHT_TEMPORAL_API_KEY")
	on, err := strconv.ParseBool(getenv("GREENLIGHT_TEMPORAL_TLS"))
	if err != nil {
		return opts, errors.New("GREENLIGHT_TEMPORAL_TLS: must be true or false")
	}
	if !on && cert == "" && key == "" && ca == "" && serverName == "" && apiKey == "" {
		return opts, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if (cert == "") != (key == "") {
		return opts, errors.New("GREENLIGHT_TEMPORAL_TLS_CERT and GREENLIGHT_TEMPORAL_TLS_KEY go together")
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return opts, fmt.Errorf("Temporal client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return opts, fmt.Errorf("GREENLIGHT_TEMPORAL_TLS_CA: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return opts, fmt.Errorf("GREENLIGHT_TEMPORAL_TLS_CA: no PEM certificate in %s", ca)
		}
	}
	opts.ConnectionOptions.TLS = cfg
	if apiKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(apiKey)
	}
	return opts, nil
}
