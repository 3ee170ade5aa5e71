//go:build linux && !amd64 && !arm64

package sandbox

// No filter is known for this architecture: the seccomp layer is missing.
const (
	seccompAuditArch = 0
	seccompX32       = false
)

var seccompArchDenied []uintptr
