//go:build !linux

package gtstest

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
