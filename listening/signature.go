package listening

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers of a signed mention batch pushed to POST /hooks/mentions/{source}.
const (
	// TimestampHeader is the Unix time in seconds when the batch was signed.
	TimestampHeader = "Greenlight-Timestamp"
	// SignatureHeader is "v1=" followed by the hex HMAC-SHA256, keyed with the source's
	// signing secret, of the timestamp, a dot and the raw request body.
	SignatureHeader = "Greenlight-Signature"
)

// MaxSkew is how far a batch's timestamp may be from the server's clock: older batches
// are refused, so a captured request cannot be replayed later.
const MaxSkew = 5 * time.Minute

// Sign returns the SignatureHeader value for body signed at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a batch's timestamp and signature headers against secret at now. Several
// signatures may be given, separated by spaces or commas (during a secret rotation); one
// match is enough.
func Verify(secret, timestamp, signature string, body []byte, now time.Time) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return errors.New(TimestampHeader + ": missing or not a Unix time in seconds")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return errors.New(TimestampHeader + ": too far from the server's time (5 minutes at most)")
	}
	want := mac(secret, strconv.FormatInt(sec, 10), body)
	for _, sig := range strings.FieldsFunc(signature, func(r rune) bool { return r == ' ' || r == ',' }) {
		hexSig, ok := strings.CutPrefix(sig, "v1=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(hexSig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New(SignatureHeader + ": no valid v1 signature")
}
