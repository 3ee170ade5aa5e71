package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// newRoot is where the init builds the root of a run before pivot_root: a
// directory every system has, covered by a tmpfs of its own.
const newRoot = "/tmp"

// rootDirs are the host directories a run sees, read-only: the interpreter,
// its libraries and their configuration. Home directories, /root, /work,
// /srv, /opt, /var and the rest do not exist inside.
var rootDirs = []string{"/usr", "/etc"}

// rootLinks are the top-level names that merged-/usr systems make symlinks
// into /usr; where one is a real directory it is bound read-only instead.
var rootLinks = []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// devNodes are the device files a run gets, bound from the host's /dev.
var devNodes = []string{"null", "zero", "full", "random", "urandom", "tty"}

// minimalRoot makes the run's root a new tmpfs holding only rootDirs (read
// only, nosuid, nodev), a small /dev, a /proc of the new PID namespace, a
// /sys, and private tmpfs /tmp, /var/tmp and /dev/shm; the host's root is
// then detached. The returned sysErr says why /sys is the host's (read-only,
// without the cgroup tree) rather than one of the run's network namespace;
// err that the root could not be made.
func minimalRoot(spec initSpec) (sysErr, err error) {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return nil, fmt.Errorf("make mounts private: %w", err)
	}
	r := newRoot
	tmpOpts := "mode=1777"
	if spec.Disk > 0 {
		tmpOpts += ",size=" + strconv.FormatInt(spec.Disk, 10)
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"root tmpfs", func() error {
			return syscall.Mount("tmpfs", r, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0755,size=1m")
		}},
		{"host dirs", func() error {
			for _, d := range rootDirs {
				if err := bindReadOnly(d, r+d, true); err != nil {
					return err
				}
			}
			for _, d := range rootLinks {
				fi, err := os.Lstat(d)
				switch {
				case err != nil:
					continue
				case fi.Mode()&os.ModeSymlink != 0:
					target, err := os.Readlink(d)
					if err != nil {
						return err
					}
					if err := os.Symlink(target, r+d); err != nil {
						return err
					}
				case fi.IsDir():
					if err := bindReadOnly(d, r+d, true); err != nil {
						return err
					}
				}
			}
			return nil
		}},
		{"/dev", func() error {
			if err := mkdirMount("tmpfs", r+"/dev", "tmpfs", syscall.MS_NOSUID|syscall.MS_NOEXEC, "mode=0755,size=64k"); err != nil {
				return err
			}
			for _, n := range devNodes {
				if err := os.WriteFile(r+"/dev/"+n, nil, 0o666); err != nil {
					return err
				}
				if err := syscall.Mount("/dev/"+n, r+"/dev/"+n, "", syscall.MS_BIND, ""); err != nil {
					return fmt.Errorf("bind /dev/%s: %w", n, err)
				}
			}
			for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
				if err := os.Symlink(target, r+"/dev/"+name); err != nil {
					return err
				}
			}
			return mkdirMount("tmpfs", r+"/dev/shm", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, tmpOpts)
		}},
		{"/tmp and /var/tmp", func() error {
			if err := mkdirMount("tmpfs", r+"/tmp", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, tmpOpts); err != nil {
				return err
			}
			return mkdirMount("tmpfs", r+"/var/tmp", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, tmpOpts)
		}},
		// /proc and /sys are mounted before the host's are detached: the
		// kernel lets a user namespace mount them only while a full view
		// of each is still in the mount namespace.
		{"/proc", func() error {
			if !spec.Proc {
				return os.Mkdir(r+"/proc", 0o755)
			}
			return mkdirMount("proc", r+"/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "")
		}},
		{"/sys", func() error {
			if err := os.Mkdir(r+"/sys", 0o755); err != nil {
				return err
			}
			sysErr = errors.New("the run shares the host's network namespace")
			if spec.Sysfs {
				sysErr = syscall.Mount("sysfs", r+"/sys", "sysfs", syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "")
			}
			if sysErr != nil {
				// The host's, without the mounts below it (the cgroup tree).
				if err := bindReadOnly("/sys", r+"/sys", false); err != nil {
					sysErr = fmt.Errorf("%v; and %v", sysErr, err)
				}
			}
			return nil
		}},
		{"pivot_root", func() error {
			old := r + "/.old"
			if err := os.Mkdir(old, 0o700); err != nil {
				return err
			}
			if err := unix.PivotRoot(r, old); err != nil {
				return err
			}
			if err := os.Chdir("/"); err != nil {
				return err
			}
			if err := syscall.Unmount("/.old", syscall.MNT_DETACH); err != nil {
				return err
			}
			if err := os.Remove("/.old"); err != nil {
				return err
			}
			return syscall.Mount("", "/", "", syscall.MS_REMOUNT|syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV, "")
		}},
		{"work dir", func() error {
			if spec.Dir == "" {
				return nil
			}
			return os.MkdirAll(spec.Dir, 0o700)
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return sysErr, fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return sysErr, nil
}

// mkdirMount makes dir and mounts source on it.
func mkdirMount(source, dir, fstype string, flags uintptr, data string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount(source, dir, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", fstype, dir, err)
	}
	return nil
}

// bindReadOnly binds src on dst (made here) read-only, nosuid and nodev,
// keeping the flags the kernel locks on src.
func bindReadOnly(src, dst string, recursive bool) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	flags := uintptr(syscall.MS_BIND)
	if recursive {
		flags |= syscall.MS_REC
	}
	if err := syscall.Mount(src, dst, "", flags, ""); err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	ro := syscall.MS_REMOUNT | syscall.MS_BIND | syscall.MS_RDONLY | syscall.MS_NOSUID | syscall.MS_NODEV | mountFlags(src)
	if err := syscall.Mount("", dst, "", ro, ""); err != nil {
		return fmt.Errorf("make %s read-only: %w", src, err)
	}
	return nil
}

// privateMounts makes the mount namespace private, gives the run its own
// tmpfs at /tmp, /var/tmp and /dev/shm (and the work dir, when that is not
// under /tmp), and remounts the rest read-only.
func privateMounts(spec initSpec) error {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	existing, err := mountPoints()
	if err != nil {
		return err
	}
	opts := "mode=1777"
	if spec.Disk > 0 {
		opts += ",size=" + strconv.FormatInt(spec.Disk, 10)
	}
	private := []string{"/tmp", "/var/tmp", "/dev/shm"}
	if spec.Dir != "" && !strings.HasPrefix(spec.Dir, "/tmp/") {
		private = append(private, spec.Dir)
	}
	for _, m := range existing {
		if skipReadOnly(m) {
			continue
		}
		// Best effort: a mount we may not remount stays as it was.
		syscall.Mount("", m, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY|mountFlags(m), "")
	}
	for _, p := range private {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := syscall.Mount("tmpfs", p, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
			return fmt.Errorf("mount tmpfs on %s: %w", p, err)
		}
	}
	if spec.Dir != "" {
		if err := os.MkdirAll(spec.Dir, 0o700); err != nil {
			return fmt.Errorf("make work dir: %w", err)
		}
	}
	return nil
}

// skipReadOnly says which mounts stay writable: device, kernel and cgroup
// file systems (nobody can write them anyway, and /dev/null must work).
func skipReadOnly(m string) bool {
	for _, p := range []string{"/dev", "/proc", "/sys"} {
		if m == p || strings.HasPrefix(m, p+"/") {
			return true
		}
	}
	return false
}

// mountFlags returns the flags of mount point m that a bind remount must
// keep (nosuid, nodev, noexec); the kernel refuses to drop locked ones.
func mountFlags(m string) uintptr {
	var s syscall.Statfs_t
	if err := syscall.Statfs(m, &s); err != nil {
		return 0
	}
	var f uintptr
	for _, x := range []struct{ st, ms int64 }{
		{unix.ST_NOSUID, syscall.MS_NOSUID}, {unix.ST_NODEV, syscall.MS_NODEV}, {unix.ST_NOEXEC, syscall.MS_NOEXEC},
		{unix.ST_NOATIME, syscall.MS_NOATIME}, {unix.ST_NODIRATIME, syscall.MS_NODIRATIME}, {unix.ST_RELATIME, syscall.MS_RELATIME},
	} {
		if s.Flags&x.st != 0 {
			f |= uintptr(x.ms)
		}
	}
	return f
}

func mountPoints() ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			out = append(out, unescapeMount(f[4]))
		}
	}
	return out, nil
}

// unescapeMount undoes the octal escapes of mountinfo (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return filepath.Clean(b.String())
}
