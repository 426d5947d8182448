package proc

import "sync"

// Tail returns the last n bytes of b (all of it when shorter), for error messages that
// quote a command's output.
func Tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// TailBuffer keeps the last Max bytes written to it; safe for concurrent use (a child
// process's output written while a test reads it).
type TailBuffer struct {
	mu  sync.Mutex
	buf []byte
	Max int
}

func (b *TailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.Max {
		b.buf = b.buf[len(b.buf)-b.Max:]
	}
	return len(p), nil
}

func (b *TailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
