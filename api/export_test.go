package api

// RequestHash exposes the idempotency request hash to tests.
var RequestHash = requestHash
