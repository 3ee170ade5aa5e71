package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// provider sends one attempt of a prepared request.
type provider interface {
	send(ctx context.Context, p *prepared) (Response, error)
}

// maxBody bounds what one response may hold; a larger body is a fault of
// the endpoint, not something to buffer.
const maxBody = 32 << 20

// openaiProvider talks to OpenAI, Azure OpenAI and OpenAI-compatible
// servers through go-openai.
type openaiProvider struct {
	cfg       Config
	client    *openai.Client
	http      *http.Client
	reasoning bool
}

func newOpenAIProvider(cfg Config) *openaiProvider {
	var oc openai.ClientConfig
	if cfg.Provider == ProviderAzure {
		oc = openai.DefaultAzureConfig(cfg.APIKey, cfg.Endpoint)
		oc.APIVersion = cfg.APIVersion
		deployment := cfg.Deployment
		oc.AzureModelMapperFunc = func(string) string { return deployment }
	} else {
		oc = openai.DefaultConfig(cfg.APIKey)
		oc.BaseURL = cfg.BaseURL
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(100, 2*cfg.Concurrency)
	tr.MaxIdleConnsPerHost = cfg.Concurrency + 4
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	hc := &http.Client{Transport: tr}
	oc.HTTPClient = &doer{client: hc}
	return &openaiProvider{cfg: cfg, client: openai.NewClientWithConfig(oc), http: hc, reasoning: reasoningModel(cfg.Name)}
}

// close drops the idle connections of the pool.
func (o *openaiProvider) close() { o.http.CloseIdleConnections() }

// send makes one attempt. Failures come back as *sendError carrying the
// HTTP status and headers for classify.
func (o *openaiProvider) send(ctx context.Context, p *prepared) (Response, error) {
	at := &attempt{}
	// go-openai drops a zero temperature (omitempty), which servers read as
	// their default of 1: put it back into the body.
	if t := p.canon.Model.Temperature; t != nil && *t == 0 && !o.reasoning {
		at.extra = map[string]json.RawMessage{"temperature": json.RawMessage("0")}
	}
	ctx = context.WithValue(ctx, attemptKey{}, at)
	var seed *int
	if p.canon.Seed != nil {
		s := int(*p.canon.Seed)
		seed = &s
	}
	id := p.canon.Model
	var temp, topP float32
	if id.Temperature != nil {
		temp = float32(*id.Temperature)
	}
	if id.TopP != nil {
		topP = float32(*id.TopP)
	}
	var r Response
	var err error
	if p.canon.Prompt != nil {
		req := openai.CompletionRequest{Model: id.Name, Prompt: *p.canon.Prompt, MaxTokens: id.MaxTokens,
			Temperature: temp, TopP: topP, N: id.N, Stop: id.Stop, Seed: seed}
		if o.cfg.Stream {
			r, err = o.streamCompletion(ctx, req, at)
		} else {
			var resp openai.CompletionResponse
			if resp, err = o.client.CreateCompletion(ctx, req); err == nil {
				r, err = fromCompletion(resp, at.body.Bytes())
			}
		}
	} else {
		msgs := make([]openai.ChatCompletionMessage, len(p.canon.Messages))
		for i, m := range p.canon.Messages {
			msgs[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
		}
		req := openai.ChatCompletionRequest{Model: id.Name, Messages: msgs, Temperature: temp, TopP: topP,
			N: id.N, Stop: id.Stop, Seed: seed}
		if o.reasoning {
			req.MaxCompletionTokens = id.MaxTokens
		} else {
			req.MaxTokens = id.MaxTokens
		}
		if o.cfg.Stream {
			r, err = o.streamChat(ctx, req)
		} else {
			var resp openai.ChatCompletionResponse
			if resp, err = o.client.CreateChatCompletion(ctx, req); err == nil {
				r, err = fromChat(resp)
			}
		}
	}
	if err != nil {
		se := &sendError{status: at.status, header: at.header, err: err}
		if at.status >= 400 {
			se.body = at.body.Bytes()
		}
		return Response{}, se
	}
	return r, nil
}

func fromChat(resp openai.ChatCompletionResponse) (Response, error) {
	if len(resp.Choices) == 0 {
		return Response{}, errMalformed("no choices in the answer")
	}
	r := Response{Model: resp.Model, SystemFingerprint: resp.SystemFingerprint,
		TokensIn: resp.Usage.PromptTokens, TokensOut: resp.Usage.CompletionTokens,
		FinishReason: string(resp.Choices[0].FinishReason)}
	for _, c := range resp.Choices {
		r.Texts = append(r.Texts, c.Message.Content)
	}
	return r, nil
}

func fromCompletion(resp openai.CompletionResponse, raw []byte) (Response, error) {
	if len(resp.Choices) == 0 {
		return Response{}, errMalformed("no choices in the answer")
	}
	r := Response{Model: resp.Model, FinishReason: resp.Choices[0].FinishReason}
	if resp.Usage != nil {
		r.TokensIn, r.TokensOut = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
	}
	r.SystemFingerprint = fingerprint(raw)
	for _, c := range resp.Choices {
		r.Texts = append(r.Texts, c.Text)
	}
	return r, nil
}

// fingerprint reads system_fingerprint from a completions answer (or one
// event of its stream): go-openai's CompletionResponse has no such field.
func fingerprint(raw []byte) string {
	var fp struct {
		SystemFingerprint string `json:"system_fingerprint"`
	}
	if json.Unmarshal(raw, &fp) != nil {
		return ""
	}
	return fp.SystemFingerprint
}

type errMalformed string

func (e errMalformed) Error() string { return "malformed answer: " + string(e) }

// sendError is a failed attempt with what the HTTP layer saw: the status,
// the headers and, for an error status, the body as the server sent it.
type sendError struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// attempt carries per-request state between send and the doer.
type attempt struct {
	extra  map[string]json.RawMessage // fields to add to the JSON body
	status int
	header http.Header
	body   bytes.Buffer // the response body as read by go-openai
}

type attemptKey struct{}

// doer is the HTTP client go-openai uses. It adds body fields go-openai
// cannot express, records status and headers (Retry-After), keeps a copy
// of the body and bounds its size.
type doer struct {
	client *http.Client
}

// Do implements openai.HTTPDoer.
func (d *doer) Do(req *http.Request) (*http.Response, error) {
	at, _ := req.Context().Value(attemptKey{}).(*attempt)
	if at != nil && len(at.extra) > 0 && req.Body != nil {
		if err := patchBody(req, at.extra); err != nil {
			return nil, err
		}
	}
	resp, err := d.client.Do(req)
	if err != nil || at == nil {
		return resp, err
	}
	at.status, at.header = resp.StatusCode, resp.Header
	resp.Body = &capture{rc: resp.Body, buf: &at.body}
	return resp, nil
}

func patchBody(req *http.Request, extra map[string]json.RawMessage) error {
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return fmt.Errorf("reading request body: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Errorf("request body is not a JSON object: %w", err)
	}
	for k, v := range extra {
		if _, ok := obj[k]; !ok {
			obj[k] = v
		}
	}
	if body, err = json.Marshal(obj); err != nil {
		return fmt.Errorf("encoding request body: %w", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
	return nil
}

// capture copies what is read from a body and fails past maxBody.
type capture struct {
	rc  io.ReadCloser
	buf *bytes.Buffer
}

var errTooLarge = errors.New("response body larger than 32 MiB")

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	if c.buf.Len()+n > maxBody {
		return 0, errTooLarge
	}
	c.buf.Write(p[:n])
	return n, err
}

func (c *capture) Close() error { return c.rc.Close() }
