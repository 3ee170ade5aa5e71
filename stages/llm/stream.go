package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// errCut says a stream ended before every choice had finished: the
// connection was cut or the server gave up. go-openai reports such an end
// as a normal one (io.EOF), so the answer is checked for completeness
// here; the attempt is retried like any transient failure.
var errCut = errors.New("stream ended before the answer was complete")

// assembly collects the choices of a streamed answer.
type assembly struct {
	texts    []strings.Builder
	finished []string // finish reason per choice, "" while open
	model    string
	fp       string
	usage    *openai.Usage
}

func newAssembly(n int) *assembly {
	n = max(n, 1)
	return &assembly{texts: make([]strings.Builder, n), finished: make([]string, n)}
}

func (a *assembly) add(index int, text, finish string) error {
	if index < 0 || index >= len(a.texts) {
		return errMalformed(fmt.Sprintf("stream chunk for choice %d of %d", index, len(a.texts)))
	}
	a.texts[index].WriteString(text)
	if finish != "" {
		a.finished[index] = finish
	}
	return nil
}

// response is the assembled answer; an unfinished choice makes it errCut.
// Without usage (servers that ignore stream_options) tokens are estimated
// from characters, so that budgets still count.
func (a *assembly) response(promptChars int) (Response, error) {
	for i, f := range a.finished {
		if f == "" {
			return Response{}, fmt.Errorf("%w (choice %d of %d open)", errCut, i+1, len(a.finished))
		}
	}
	r := Response{Model: a.model, SystemFingerprint: a.fp, FinishReason: a.finished[0]}
	out := 0
	for i := range a.texts {
		r.Texts = append(r.Texts, a.texts[i].String())
		out += len(r.Texts[i])
	}
	if a.usage != nil {
		r.TokensIn, r.TokensOut = a.usage.PromptTokens, a.usage.CompletionTokens
	} else {
		r.TokensIn, r.TokensOut = estimateTokens(promptChars), estimateTokens(out)
	}
	return r, nil
}

func (o *openaiProvider) streamChat(ctx context.Context, req openai.ChatCompletionRequest) (Response, error) {
	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	st, err := o.client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return Response{}, err
	}
	defer st.Close()
	a := newAssembly(req.N)
	err = drain(st.Recv, func(ch openai.ChatCompletionStreamResponse) error {
		a.model, a.fp = or(ch.Model, a.model), or(ch.SystemFingerprint, a.fp)
		if ch.Usage != nil {
			a.usage = ch.Usage
		}
		for _, c := range ch.Choices {
			if err := a.add(c.Index, c.Delta.Content, string(c.FinishReason)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	chars := 0
	for _, m := range req.Messages {
		chars += len(m.Content)
	}
	return a.response(chars)
}

func (o *openaiProvider) streamCompletion(ctx context.Context, req openai.CompletionRequest, at *attempt) (Response, error) {
	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	st, err := o.client.CreateCompletionStream(ctx, req)
	if err != nil {
		return Response{}, err
	}
	defer st.Close()
	a := newAssembly(req.N)
	err = drain(st.Recv, func(ch openai.CompletionResponse) error {
		a.model = or(ch.Model, a.model)
		if ch.Usage != nil {
			a.usage = ch.Usage
		}
		for _, c := range ch.Choices {
			if err := a.add(c.Index, c.Text, c.FinishReason); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	// The fingerprint, from the first event that has one.
	for _, line := range strings.Split(at.body.String(), "\n") {
		if d, ok := strings.CutPrefix(strings.TrimSpace(line), "data:"); ok {
			if a.fp = fingerprint([]byte(strings.TrimSpace(d))); a.fp != "" {
				break
			}
		}
	}
	prompt, _ := req.Prompt.(string)
	return a.response(len(prompt))
}

// drain reads a stream to its end, handing each chunk to add.
func drain[T any](recv func() (T, error), add func(T) error) error {
	for {
		ch, err := recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := add(ch); err != nil {
			return err
		}
	}
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
