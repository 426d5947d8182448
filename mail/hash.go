package mail

import "crypto/sha256"

func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:16]
}
