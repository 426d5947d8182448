// Package smtptest is a minimal SMTP server on loopback for tests: it accepts every
// message and keeps it, with the idempotency key header, for assertions.
package smtptest

import (
	"bufio"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
)

// Message is one received email.
type Message struct {
	From    string
	To      []string
	Subject string
	Key     string
	Raw     string
}

// Server is a running SMTP server.
type Server struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
	wg   sync.WaitGroup
}

// Start listens on a free loopback port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is an smtp:// URL for mail.NewSMTP, without TLS.
func (s *Server) URL() string { return "smtp://" + s.Addr() + "?tls=none" }

// Messages returns what was received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Close stops listening.
func (s *Server) Close() {
	_ = s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *Server) handle(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	reply := func(line string) {
		_, _ = w.WriteString(line + "\r\n")
		_ = w.Flush()
	}
	reply("220 smtptest ready")
	var cur Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			reply("250-smtptest")
			reply("250 8BITMIME")
		case strings.HasPrefix(cmd, "HELO"):
			reply("250 smtptest")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			cur = Message{From: addr(line[len("MAIL FROM:"):])}
			reply("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			cur.To = append(cur.To, addr(line[len("RCPT TO:"):]))
			reply("250 OK")
		case cmd == "DATA":
			reply("354 end with .")
			var sb strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimRight(l, "\r\n") == "." {
					break
				}
				sb.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Raw = sb.String()
			if m, err := mail.ReadMessage(strings.NewReader(cur.Raw)); err == nil {
				cur.Subject = decodeHeader(m.Header.Get("Subject"))
				cur.Key = m.Header.Get("X-Greenlight-Key")
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			reply("250 OK queued")
		case cmd == "RSET":
			cur = Message{}
			reply("250 OK")
		case cmd == "NOOP":
			reply("250 OK")
		case cmd == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func addr(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[:i]
	}
	return strings.Trim(s, "<>")
}

func decodeHeader(s string) string {
	out, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}
