package llm

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/ccw-dev/ccw/stages"
)

var _ stages.Preflighter = (*Model)(nil)

// preflightTimeout bounds the connection check of an endpoint.
const preflightTimeout = 5 * time.Second

// Preflight implements stages.Preflighter: a provider that needs a key has
// one, and the endpoint accepts connections. Offline runs and the mock
// need neither. It sends no request, so it costs nothing.
func (m *Model) Preflight(ctx context.Context, offline bool) error {
	if m.cfg.Provider == ProviderMock || offline {
		return nil
	}
	switch {
	case m.cfg.Provider == ProviderOpenAI && m.cfg.APIKey == "":
		return fmt.Errorf("model %q: api_key: required for openai: api_key = env(\"OPENAI_API_KEY\"), and the variable is not set", m.cfg.Block)
	case m.cfg.Provider == ProviderAzure && m.cfg.APIKey == "":
		return fmt.Errorf("model %q: api_key: required for azure: api_key = env(\"AZURE_OPENAI_API_KEY\"), and the variable is not set", m.cfg.Block)
	}
	var unreachable []string
	for _, rep := range m.pool.reps {
		if err := dial(ctx, rep.base); err != nil {
			m.pool.rest(rep) // the others take the first calls
			unreachable = append(unreachable, fmt.Sprintf("%s: %v", rep.url, err))
		}
	}
	if len(unreachable) < len(m.pool.reps) {
		return nil
	}
	if len(m.pool.reps) == 1 {
		return fmt.Errorf("model %q: cannot reach %s: %s (is the server running? --offline replays cached answers without it)",
			m.cfg.Block, m.where(m.pool.reps[0]), strings.TrimPrefix(unreachable[0], m.pool.reps[0].url+": "))
	}
	return fmt.Errorf("model %q: cannot reach any of its %d endpoints (%s); is the server running? --offline replays cached answers without it",
		m.cfg.Block, len(m.pool.reps), strings.Join(unreachable, "; "))
}

// dial opens and closes a TCP connection to the host of base.
func dial(ctx context.Context, base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return fmt.Errorf("base_url %q is not a URL", redactURL(base))
	}
	host := u.Host
	if u.Port() == "" {
		port := "443"
		if u.Scheme == "http" {
			port = "80"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", host)
	if err != nil {
		return err
	}
	return conn.Close()
}
