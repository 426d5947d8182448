// Package proc runs the greenlight binary as child processes for tests that need real
// restarts and crashes: building it once, starting commands with an environment, waiting
// for readiness, stopping them gracefully or with SIGKILL.
package proc

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds ./cmd/greenlight once per test process; root is the module root relative
// to the test's directory.
func Binary(t testing.TB, root string) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "greenlight-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "greenlight")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, "./cmd/greenlight")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build greenlight: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Process is a running greenlight command.
type Process struct {
	t    testing.TB
	bin  string
	args []string
	env  []string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the current run exited
	exit int           // the exit code of the last run, once done is closed
	// Starts counts how many times the command was started.
	Starts int
}

// Start runs bin with args and extra environment, logging to logFile (appended), and
// kills it at the end of the test.
func Start(t testing.TB, bin, logFile string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{t: t, bin: bin, args: args, env: env, log: logFile}
	p.start()
	t.Cleanup(p.Kill)
	return p
}

func (p *Process) start() {
	p.t.Helper()
	logs, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.Starts++
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Env = append(os.Environ(), p.env...)
	p.cmd.Stdout, p.cmd.Stderr = logs, logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %v: %v", p.args, err)
	}
	done := make(chan struct{})
	p.done = done
	go func(cmd *exec.Cmd, f *os.File) {
		_ = cmd.Wait()
		f.Close()
		p.exit = cmd.ProcessState.ExitCode()
		close(done)
	}(p.cmd, logs)
}

// Restart starts the same command again after it stopped.
func (p *Process) Restart() { p.start() }

// Stop sends SIGTERM and waits for the process to exit: a graceful shutdown.
func (p *Process) Stop() { p.signal(syscall.SIGTERM) }

// Interrupt sends SIGINT (Ctrl+C) and waits for the process to exit.
func (p *Process) Interrupt() { p.signal(syscall.SIGINT) }

// ExitCode returns the exit code of the last run once it ended (-1 if a signal ended it).
func (p *Process) ExitCode() int {
	<-p.done
	return p.exit
}

// Signal sends sig without waiting for the process to exit (see ExitCode).
func (p *Process) Signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// Kill sends SIGKILL and waits: a crash.
func (p *Process) Kill() { p.signal(syscall.SIGKILL) }

func (p *Process) signal(sig syscall.Signal) {
	if !p.Alive() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Alive reports whether the process is still running.
func (p *Process) Alive() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Logs returns what the process wrote so far.
func (p *Process) Logs() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// WaitHTTP waits until url answers 200.
func WaitHTTP(t testing.TB, url string, within time.Duration, p *Process) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			logs := ""
			if p != nil {
				logs = p.Logs()
			}
			t.Fatalf("%s did not answer 200 within %s\n%s", url, within, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitTCP waits until addr accepts connections.
func WaitTCP(t testing.TB, addr string, within time.Duration, p *Process) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not accept connections within %s\n%s", addr, within, p.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// FreeAddr returns a free loopback address.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
