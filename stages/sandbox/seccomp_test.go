package sandbox

import (
	"encoding/binary"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ccw-dev/ccw/internal/testenv"
)

// runBPF interprets the instructions seccompProgram uses over a
// seccomp_data of (nr, arch, args[0]) and returns the action.
func runBPF(t *testing.T, p []unix.SockFilter, nr, arch uint32, arg0 uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.NativeEndian.PutUint32(data[0:], nr)
	binary.NativeEndian.PutUint32(data[4:], arch)
	binary.NativeEndian.PutUint64(data[16:], arg0)
	var acc uint32
	for pc := 0; pc < len(p); {
		f := p[pc]
		switch f.Code {
		case bpfLdAbs:
			acc = binary.NativeEndian.Uint32(data[f.K:])
			pc++
		case bpfJeq, bpfJge, bpfJset:
			var ok bool
			switch f.Code {
			case bpfJeq:
				ok = acc == f.K
			case bpfJge:
				ok = acc >= f.K
			default:
				ok = acc&f.K != 0
			}
			if ok {
				pc += 1 + int(f.Jt)
			} else {
				pc += 1 + int(f.Jf)
			}
		case bpfRet:
			return f.K
		default:
			t.Fatalf("instruction %d: unknown code %#x", pc, f.Code)
		}
	}
	t.Fatal("the program ran off its end")
	return 0
}

func TestSeccompProgram(t *testing.T) {
	p := seccompProgram()
	if p == nil {
		testenv.Missing(t, "no seccomp filter for %s", runtime.GOARCH)
	}
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	eperm := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	enosys := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))
	arch := uint32(seccompAuditArch)
	cases := []struct {
		name string
		nr   uint32
		arch uint32
		arg0 uint64
		want uint32
	}{
		{"read", unix.SYS_READ, arch, 0, allow},
		{"openat", unix.SYS_OPENAT, arch, 0, allow},
		{"execve", unix.SYS_EXECVE, arch, 0, allow},
		{"add_key", unix.SYS_ADD_KEY, arch, 0, eperm},
		{"keyctl", unix.SYS_KEYCTL, arch, 0, eperm},
		{"ptrace", unix.SYS_PTRACE, arch, 0, eperm},
		{"bpf", unix.SYS_BPF, arch, 0, eperm},
		{"mount", unix.SYS_MOUNT, arch, 0, eperm},
		{"unshare", unix.SYS_UNSHARE, arch, 0, eperm},
		{"io_uring_setup", unix.SYS_IO_URING_SETUP, arch, 0, eperm},
		{"the last denied call", uint32(seccompDenied[len(seccompDenied)-1]), arch, 0, eperm},
		{"a thread (clone without namespaces)", unix.SYS_CLONE, arch, unix.CLONE_VM | unix.CLONE_THREAD, allow},
		{"clone into a new user namespace", unix.SYS_CLONE, arch, unix.CLONE_NEWUSER, eperm},
		{"clone into a new network namespace", unix.SYS_CLONE, arch, unix.CLONE_NEWNET | 17, eperm},
		{"clone3", unix.SYS_CLONE3, arch, 0, enosys},
		{"another ABI", unix.SYS_READ, arch ^ 1, 0, eperm},
	}
	if seccompX32 {
		cases = append(cases, struct {
			name string
			nr   uint32
			arch uint32
			arg0 uint64
			want uint32
		}{"an x32 call", 0x40000000 | unix.SYS_READ, arch, 0, eperm})
	}
	for _, c := range cases {
		if got := runBPF(t, p, c.nr, c.arch, c.arg0); got != c.want {
			t.Errorf("%s: action %#x, want %#x", c.name, got, c.want)
		}
	}
	if b := seccompBytes(); len(b) != 8*len(p) {
		t.Errorf("seccompBytes: %d bytes for %d instructions", len(b), len(p))
	}
}
