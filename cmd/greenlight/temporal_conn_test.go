package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// writePair writes a self-signed certificate and its key as PEM files.
func writePair(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "greenlight"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(priv)
	require.NoError(t, err)
	cert, key = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return cert, key
}

func TestTemporalConnectionOptions(t *testing.T) {
	dir := t.TempDir()
	cert, key := writePair(t, dir)
	tests := []struct {
		name    string
		env     map[string]string
		tls     bool
		apiKey  bool
		certs   int
		ca      bool
		wantErr string
	}{
		{name: "plain by default", env: nil},
		{name: "TLS with the system roots", env: map[string]string{"GREENLIGHT_TEMPORAL_TLS": "true"}, tls: true},
		{name: "Temporal Cloud API key turns TLS on", env: map[string]string{"GREENLIGHT_TEMPORAL_API_KEY": "k"}, tls: true, apiKey: true},
		{name: "mTLS with a private CA", env: map[string]string{"GREENLIGHT_TEMPORAL_TLS_CERT": cert, "GREENLIGHT_TEMPORAL_TLS_KEY": key,
			"GREENLIGHT_TEMPORAL_TLS_CA": cert, "GREENLIGHT_TEMPORAL_TLS_SERVER_NAME": "temporal.internal"}, tls: true, certs: 1, ca: true},
		{name: "certificate without key", env: map[string]string{"GREENLIGHT_TEMPORAL_TLS_CERT": cert}, wantErr: "go together"},
		{name: "missing CA file", env: map[string]string{"GREENLIGHT_TEMPORAL_TLS_CA": filepath.Join(dir, "nope.pem")}, wantErr: "GREENLIGHT_TEMPORAL_TLS_CA"},
		{name: "CA file without a certificate", env: map[string]string{"GREENLIGHT_TEMPORAL_TLS_CA": key}, wantErr: "no PEM certificate"},
		{name: "not a boolean", env: map[string]string{"GREENLIGHT_TEMPORAL_TLS": "maybe"}, wantErr: "true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range temporalEnvVars {
				t.Setenv(v.Name, tt.env[v.Name])
			}
			t.Setenv("GREENLIGHT_TEMPORAL_ADDRESS", "temporal.example:7233")
			opts, err := temporalOptions(envConfig(), io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "temporal.example:7233", opts.HostPort)
			require.Equal(t, tt.tls, opts.ConnectionOptions.TLS != nil)
			require.Equal(t, tt.apiKey, opts.Credentials != nil)
			if tt.tls {
				require.Len(t, opts.ConnectionOptions.TLS.Certificates, tt.certs)
				require.Equal(t, tt.ca, opts.ConnectionOptions.TLS.RootCAs != nil)
				require.Equal(t, tt.env["GREENLIGHT_TEMPORAL_TLS_SERVER_NAME"], opts.ConnectionOptions.TLS.ServerName)
			}
		})
	}
}
