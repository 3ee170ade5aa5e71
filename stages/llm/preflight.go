package llm

import (
	"context"
	"fmt"
	"net"
	"net/url"
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
	u, err := url.Parse(m.cfg.BaseURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("model %q: base_url %q is not a URL", m.cfg.Block, redactURL(m.cfg.BaseURL))
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
		return fmt.Errorf("model %q: cannot reach %s: %v (is the server running? --offline replays cached answers without it)", m.cfg.Block, m.where(), err)
	}
	return conn.Close()
}
