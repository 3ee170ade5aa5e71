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
	m.providers()
	estimate := float64(estimateTokens(p.chars) + m.cfg.MaxTokens*max(1, m.cfg.N))
	for n := 0; ; n++ {
		rep := m.pool.pick()
		epoch, err := rep.lim.acquire(ctx, estimate)
		if err != nil {
			m.pool.done(rep, neutral)
			return Response{}, err
		}
		actx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
		start := time.Now()
		resp, err := rep.prov.send(actx, p)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		rep.lim.release()
		if err == nil {
			m.pool.done(rep, healthy)
			rep.lim.success()
			rep.lim.used(estimate, float64(resp.TokensIn+resp.TokensOut))
			resp.Retries = n
			if m.cfg.Provider != ProviderMock { // the mock's records are deterministic
				resp.LatencyMS = time.Since(start).Milliseconds()
			}
			return resp, nil
		}
		if ctx.Err() != nil {
			m.pool.done(rep, neutral)
			return Response{}, context.Cause(ctx)
		}
		f := classify(err, timedOut, m.cfg.Timeout)
		msg := m.red.clean(f.msg)
		switch f.kind {
		case contextLength:
			m.pool.done(rep, healthy)
			rep.lim.success() // the endpoint is healthy
			return Response{ContextLength: msg, LatencyMS: time.Since(start).Milliseconds(), Retries: n}, nil
		case unauthorized:
			m.pool.done(rep, neutral)
			return Response{}, &CallError{Model: m.cfg.Block, Reason: m.keyReason(rep), Attempts: n + 1, Status: f.status, Message: msg}
		case rejected:
			m.pool.done(rep, neutral)
			return Response{}, &CallError{Model: m.cfg.Block, Reason: "request rejected by " + m.where(rep), Attempts: n + 1, Status: f.status, Message: msg}
		case throttled:
			m.pool.done(rep, neutral)
			rep.lim.throttled(epoch, f.retryAfter)
		default:
			m.pool.done(rep, failed)
		}
		if n >= m.cfg.MaxRetries {
			return Response{}, &CallError{Model: m.cfg.Block, Reason: "retries exhausted at " + m.where(rep), Attempts: n + 1, Status: f.status, Message: msg}
		}
		wait := backoff(n, f.retryAfter, m.cfg.RetryBase, m.cfg.RetryMax)
		if f.kind == retryable && m.pool.another(rep) {
			wait = 0 // another replica is up: go there now
		}
		m.mu.Lock()
		m.stats.Retries++
		m.mu.Unlock()
		env.note(fmt.Sprintf("model %q: %s at %s; retry %d/%d in %s (call %s, %s)",
			m.cfg.Block, msg, rep.url, n+1, m.cfg.MaxRetries, wait.Round(time.Millisecond), short(p.key), env.Addr))
		if err := sleep(ctx, wait); err != nil {
			return Response{}, err
		}
	}
}

// where names the replica for messages, without credentials.
func (m *Model) where(rep *replica) string {
	if m.cfg.Provider == ProviderMock {
		return "the mock"
	}
	if m.cfg.Provider == ProviderAzure {
		return fmt.Sprintf("azure deployment %q at %s", m.cfg.Deployment, redactURL(m.cfg.Endpoint))
	}
	return fmt.Sprintf("%s %q at %s", m.cfg.Provider, m.cfg.Name, rep.url)
}

func (m *Model) keyReason(rep *replica) string {
	k := "no API key"
	if m.cfg.APIKey != "" {
		k = "API key " + maskKey(m.cfg.APIKey)
	}
	return fmt.Sprintf("%s refused %s (check api_key in model %q)", m.where(rep), k, m.cfg.Block)
}
