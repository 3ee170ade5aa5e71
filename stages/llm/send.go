package llm

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// send makes attempts until one answers, the failure is not worth
// retrying, or max_retries retries are spent. Every attempt takes a slot
// of the limiter; the wait between attempts holds none.
func (m *Model) send(ctx context.Context, env Env, p *prepared) (Response, error) {
	prov := m.provider()
	estimate := float64(estimateTokens(p.chars) + m.cfg.MaxTokens*max(1, m.cfg.N))
	for n := 0; ; n++ {
		epoch, err := m.lim.acquire(ctx, estimate)
		if err != nil {
			return Response{}, err
		}
		actx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
		start := time.Now()
		resp, err := prov.send(actx, p)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		m.lim.release()
		if err == nil {
			m.lim.success()
			m.lim.used(estimate, float64(resp.TokensIn+resp.TokensOut))
			resp.Retries = n
			if m.cfg.Provider != ProviderMock { // the mock's records are deterministic
				resp.LatencyMS = time.Since(start).Milliseconds()
			}
			return resp, nil
		}
		if ctx.Err() != nil {
			return Response{}, context.Cause(ctx)
		}
		f := classify(err, timedOut, m.cfg.Timeout)
		msg := m.red.clean(f.msg)
		switch f.kind {
		case contextLength:
			m.lim.success() // the endpoint is healthy
			return Response{ContextLength: msg, LatencyMS: time.Since(start).Milliseconds(), Retries: n}, nil
		case unauthorized:
			return Response{}, &CallError{Model: m.cfg.Block, Reason: m.keyReason(), Attempts: n + 1, Status: f.status, Message: msg}
		case rejected:
			return Response{}, &CallError{Model: m.cfg.Block, Reason: "request rejected by " + m.where(), Attempts: n + 1, Status: f.status, Message: msg}
		case throttled:
			m.lim.throttled(epoch, f.retryAfter)
		}
		if n >= m.cfg.MaxRetries {
			return Response{}, &CallError{Model: m.cfg.Block, Reason: "retries exhausted at " + m.where(), Attempts: n + 1, Status: f.status, Message: msg}
		}
		wait := backoff(n, f.retryAfter, m.cfg.RetryBase, m.cfg.RetryMax)
		m.mu.Lock()
		m.stats.Retries++
		m.mu.Unlock()
		env.note(fmt.Sprintf("model %q: %s; retry %d/%d in %s (call %s, %s)",
			m.cfg.Block, msg, n+1, m.cfg.MaxRetries, wait.Round(time.Millisecond), short(p.key), env.Addr))
		if err := sleep(ctx, wait); err != nil {
			return Response{}, err
		}
	}
}

// where names the endpoint for messages, without credentials.
func (m *Model) where() string {
	if m.cfg.Provider == ProviderMock {
		return "the mock"
	}
	if m.cfg.Provider == ProviderAzure {
		return fmt.Sprintf("azure deployment %q at %s", m.cfg.Deployment, redactURL(m.cfg.Endpoint))
	}
	return fmt.Sprintf("%s %q at %s", m.cfg.Provider, m.cfg.Name, redactURL(m.cfg.BaseURL))
}

func (m *Model) keyReason() string {
	k := "no API key"
	if m.cfg.APIKey != "" {
		k = "API key " + maskKey(m.cfg.APIKey)
	}
	return fmt.Sprintf("%s refused %s (check api_key in model %q)", m.where(), k, m.cfg.Block)
}
