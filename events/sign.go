package events

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks headers (https://www.standardwebhooks.com, "Webhook headers").
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret, as the specification serialises symmetric
// secrets: "whsec_" then the key in standard base64.
const SecretPrefix = "whsec_"

// secretBytes is the key length: the specification asks for 24 to 64 bytes.
const secretBytes = 32

// NewSecret returns a fresh random signing secret, "whsec_<base64 of 32 bytes>".
func NewSecret() string {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// secretKey decodes a "whsec_" secret (the prefix is optional, as receivers' libraries
// accept both) into the HMAC key.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("signing secret: not whsec_ followed by base64")
	}
	return key, nil
}

// Sign returns the webhook-signature header value for one attempt: "v1," then the base64
// HMAC-SHA256, under the secret's key, of "{id}.{timestamp}.{body}" with the timestamp in
// Unix seconds. The id and timestamp are ours (never user input) and hold no '.'.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
