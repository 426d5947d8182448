package gtstest

import "syscall"

// sysProcAttr kills the server with the test process if that dies first.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
