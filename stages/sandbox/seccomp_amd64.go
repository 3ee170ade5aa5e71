package sandbox

import "golang.org/x/sys/unix"

const (
	seccompAuditArch = unix.AUDIT_ARCH_X86_64
	seccompX32       = true // x32 system calls (nr | 0x40000000) are denied
)

var seccompArchDenied = []uintptr{unix.SYS_IOPL, unix.SYS_IOPERM}
