package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	"github.com/ccw-dev/ccw/stages"
)

var _ stages.Preflighter = (*Sandbox)(nil)

// Preflight implements stages.Preflighter: the local backend's interpreter
// exists and can be run; the docker backend's engine answers.
func (s *Sandbox) Preflight(ctx context.Context, _ bool) error {
	switch s.cfg.Backend {
	case "local":
		path := s.cfg.Python
		if _, err := os.Stat(path); err != nil {
			if p, lerr := exec.LookPath(path); lerr == nil {
				path = p
			} else {
				return fmt.Errorf("sandbox %q: python %q: %v", s.name, s.cfg.Python, err)
			}
		}
		if err := exec.CommandContext(ctx, path, "-I", "-S", "-c", "pass").Run(); err != nil {
			return fmt.Errorf("sandbox %q: python %q does not run: %v", s.name, s.cfg.Python, err)
		}
		return nil
	case "docker":
		if _, err := s.backend(); err != nil {
			return err
		}
	}
	return nil
}
