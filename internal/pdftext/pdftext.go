// Package pdftext extracts the text of PDFs in tests, with pdftotext (Debian poppler-utils).
package pdftext

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Text returns the text of pdf with runs of white space folded into one space (lines
// wrapped by the layout join up again). A missing pdftotext fails the test rather than
// skipping it: CI installs poppler-utils, and a skipped check proves nothing.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	require.NoError(t, err, "pdftotext is required: apt-get install poppler-utils")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o600))
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").CombinedOutput()
	require.NoError(t, err, "pdftotext: %s", out)
	return strings.Join(strings.Fields(string(out)), " ")
}
