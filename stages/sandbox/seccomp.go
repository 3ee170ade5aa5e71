package sandbox

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// seccompDenied are the system calls sandboxed code gets EPERM for: the
// kernel keyrings (not isolated per run), tracing and reading other
// processes, loading code into the kernel (modules, BPF, kexec), mounts and
// namespaces (it could otherwise undo its own isolation), time and system
// settings, and interfaces with a long record of kernel bugs (io_uring,
// userfaultfd, perf). The list follows Docker's default profile where the
// two overlap; Python and the BigCodeBench libraries use none of them.
var seccompDenied = append([]uintptr{
	unix.SYS_ADD_KEY, unix.SYS_REQUEST_KEY, unix.SYS_KEYCTL,
	unix.SYS_PTRACE, unix.SYS_PROCESS_VM_READV, unix.SYS_PROCESS_VM_WRITEV, unix.SYS_KCMP, unix.SYS_PIDFD_GETFD,
	unix.SYS_BPF, unix.SYS_PERF_EVENT_OPEN, unix.SYS_USERFAULTFD, unix.SYS_FANOTIFY_INIT,
	unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER,
	unix.SYS_MOUNT, unix.SYS_UMOUNT2, unix.SYS_PIVOT_ROOT, unix.SYS_MOVE_MOUNT, unix.SYS_OPEN_TREE,
	unix.SYS_FSOPEN, unix.SYS_FSCONFIG, unix.SYS_FSMOUNT, unix.SYS_FSPICK, unix.SYS_MOUNT_SETATTR,
	unix.SYS_SETNS, unix.SYS_UNSHARE,
	unix.SYS_SWAPON, unix.SYS_SWAPOFF, unix.SYS_REBOOT, unix.SYS_ACCT, unix.SYS_VHANGUP, unix.SYS_SYSLOG,
	unix.SYS_KEXEC_LOAD, unix.SYS_KEXEC_FILE_LOAD, unix.SYS_INIT_MODULE, unix.SYS_FINIT_MODULE, unix.SYS_DELETE_MODULE,
	unix.SYS_SETTIMEOFDAY, unix.SYS_CLOCK_SETTIME, unix.SYS_CLOCK_ADJTIME, unix.SYS_ADJTIMEX,
	unix.SYS_QUOTACTL, unix.SYS_QUOTACTL_FD, unix.SYS_LOOKUP_DCOOKIE, unix.SYS_NFSSERVCTL,
	unix.SYS_OPEN_BY_HANDLE_AT, unix.SYS_NAME_TO_HANDLE_AT, unix.SYS_MEMFD_SECRET,
}, seccompArchDenied...)

// cloneNamespaces are the clone flags that make new namespaces: clone with
// any of them is refused, and clone3 (whose flags seccomp cannot read)
// answers ENOSYS, so that the C library falls back to clone.
const cloneNamespaces = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWTIME

// Offsets in struct seccomp_data.
const (
	seccompNr    = 0
	seccompArch  = 4
	seccompArg0  = 16 // the low half of args[0] on little-endian machines
	bpfLdAbs     = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfJeq       = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJge       = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	bpfJset      = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	bpfRet       = unix.BPF_RET | unix.BPF_K
	seccompAllow = unix.SECCOMP_RET_ALLOW
)

// seccompProgram returns the sandbox's filter as classic BPF, or nil on an
// architecture it does not know (the layer is then missing).
func seccompProgram() []unix.SockFilter {
	if seccompAuditArch == 0 || binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return nil
	}
	n := len(seccompDenied)
	// Where each instruction is: the header (0-5), one jeq per denied call,
	// then allow, the clone check (load, test, allow), ENOSYS and EPERM.
	const first = 6
	allow, cloneCheck := first+n, first+n+1
	enosys, deny := first+n+4, first+n+5
	var p []unix.SockFilter
	// jump encodes a conditional jump from the next instruction's index to
	// the targets (a jump counts instructions skipped).
	jump := func(code uint16, k uint32, jt, jf int) {
		at := len(p) + 1
		off := func(target int) uint8 {
			if target < at || target-at > 255 {
				panic(fmt.Sprintf("sandbox: seccomp jump from %d to %d", at-1, target))
			}
			return uint8(target - at)
		}
		p = append(p, unix.SockFilter{Code: code, Jt: off(jt), Jf: off(jf), K: k})
	}
	stmt := func(code uint16, k uint32) { p = append(p, unix.SockFilter{Code: code, K: k}) }
	next := func() int { return len(p) + 1 }

	stmt(bpfLdAbs, seccompArch)
	jump(bpfJeq, seccompAuditArch, next(), deny) // a foreign ABI (i386 calls) is denied
	stmt(bpfLdAbs, seccompNr)
	if seccompX32 {
		jump(bpfJge, 0x40000000, deny, next()) // x32 calls
	} else {
		jump(bpfJeq, 0xffffffff, next(), next()) // keeps the layout
	}
	jump(bpfJeq, uint32(unix.SYS_CLONE), cloneCheck, next())
	jump(bpfJeq, uint32(unix.SYS_CLONE3), enosys, next())
	for _, nr := range seccompDenied {
		jump(bpfJeq, uint32(nr), deny, next())
	}
	if len(p) != allow {
		panic("sandbox: seccomp layout")
	}
	stmt(bpfRet, seccompAllow)
	stmt(bpfLdAbs, seccompArg0)
	jump(bpfJset, uint32(cloneNamespaces), deny, next())
	stmt(bpfRet, seccompAllow)
	stmt(bpfRet, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS))
	stmt(bpfRet, unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM))
	if len(p) != deny+1 || p[enosys].K != unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS) {
		panic("sandbox: seccomp layout")
	}
	return p
}

// seccompBytes is the filter as the bytes of struct sock_filter[], for the
// warm worker's children, which install it themselves (prctl from Python).
func seccompBytes() []byte {
	p := seccompProgram()
	if p == nil {
		return nil
	}
	b := make([]byte, 0, len(p)*8)
	for _, f := range p {
		b = binary.NativeEndian.AppendUint16(b, f.Code)
		b = append(b, f.Jt, f.Jf)
		b = binary.NativeEndian.AppendUint32(b, f.K)
	}
	return b
}

// installSeccomp sets no_new_privs and installs the filter on every thread
// of this process; what it then starts inherits both.
func installSeccomp() error {
	p := seccompProgram()
	if p == nil {
		return fmt.Errorf("seccomp: no filter for %s", runtime.GOARCH)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	prog := unix.SockFprog{Len: uint16(len(p)), Filter: &p[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(p)
	if errno != 0 {
		return fmt.Errorf("seccomp: %w", errno)
	}
	return nil
}
