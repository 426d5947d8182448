package service

import "context"

type reservedIDKey struct{}

// WithReservedID returns a context asking the create it reaches to name its resource id
// instead of minting one. The API's Idempotency-Key middleware reserves one id per key, so a
// create retried after a lost outcome finds what the first attempt made (a post's id is its
// workflow's id) instead of creating it twice.
func WithReservedID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, reservedIDKey{}, id)
}

// reservedID returns the id reserved for a create, if any and valid for it.
func reservedID(ctx context.Context, valid func(string) bool) (string, bool) {
	id, ok := ReservedID(ctx)
	if !ok || !valid(id) {
		return "", false
	}
	return id, true
}

// ReservedID returns the id a create was asked to use by WithReservedID, if any.
func ReservedID(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(reservedIDKey{}).(string)
	return id, ok && id != ""
}
