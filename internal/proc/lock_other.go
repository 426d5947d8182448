//go:build !unix

package proc

// LockFile is a no-op where flock is missing: concurrent installs in separate test
// processes are then the caller's concern (run them once beforehand, as .ci/run does).
func LockFile(string) (func(), error) { return func() {}, nil }
