package sandbox

import (
	"fmt"
	"syscall"
)

// limitEnding is how a run ends when we killed it at limit.
func limitEnding(limit string, l Limits) ending {
	switch limit {
	case "wall":
		return ending{Status: Timeout, Limit: "wall", Message: fmt.Sprintf("Timed out! (killed %s after the %s wall-time limit)", killGrace, l.Timeout)}
	case "memory":
		return ending{Status: OOM, Limit: "memory", Message: fmt.Sprintf("killed: out of memory (limit %s)", FormatSize(l.Memory))}
	case "output":
		return ending{Status: Killed, Limit: "output", Message: fmt.Sprintf("killed: wrote more than %s of output", FormatSize(l.OutputKill))}
	case "pids":
		return ending{Status: Killed, Limit: "pids", Message: fmt.Sprintf("killed: reached the limit of %d processes/threads", l.Pids)}
	case "fsize":
		return ending{Status: Killed, Limit: "fsize", Message: fmt.Sprintf("killed: wrote a file larger than %s", FormatSize(l.FileSize))}
	case "tests":
		return ending{Status: Killed, Limit: "tests", Message: fmt.Sprintf("killed: reported more than %d test results", maxTests)}
	}
	return ending{Status: Killed, Limit: limit, Message: "killed: limit " + limit}
}

// exitStatusEnding is how a run ends when python exited (code) or died
// (sig) before the harness sent its verdict.
func exitStatusEnding(code int, sig syscall.Signal, group *runGroup, l Limits) ending {
	if sig == syscall.SIGKILL && group != nil && group.ooms() > 0 {
		return limitEnding("memory", l)
	}
	switch {
	case sig == syscall.SIGXFSZ:
		return limitEnding("fsize", l)
	case sig > 0:
		return ending{Status: Crash, Message: fmt.Sprintf("crashed: the process died of signal %d (%s)", int(sig), sig)}
	default:
		return ending{Status: Crash, Message: fmt.Sprintf("crashed: the process exited with status %d before the tests finished", code)}
	}
}
