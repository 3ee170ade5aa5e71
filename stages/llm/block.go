package llm

import (
	"reflect"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
)

// ModelType is the capsule type of references to model blocks
// (`model.coder`). Stage schemas use it for their `model` attribute.
var ModelType = stages.ResourceType("model", reflect.TypeOf(Model{}))

// Kind is the `model` block kind. One Kind is shared by all model blocks of
// a run.
type Kind struct{}

// Block returns the BlockKind of `model "NAME" { ... }` blocks.
func Block() stages.BlockKind { return Kind{} }

var _ stages.BlockKind = Kind{}

// Block implements stages.BlockKind.
func (Kind) Block() string { return "model" }

// Type implements stages.BlockKind.
func (Kind) Type() cty.Type { return ModelType }

// Schema implements stages.BlockKind.
func (Kind) Schema() stages.Schema { return modelSchema }

// Open implements stages.BlockKind: it checks the body and returns a
// *Model. No connection is made until the first call.
func (Kind) Open(name string, cfg cty.Value) (stages.Resource, error) {
	c, err := parseConfig(name, cfg)
	if err != nil {
		return nil, err
	}
	return newModel(c)
}

func str(s string) cty.Value { return cty.StringVal(s) }
func num(n int64) cty.Value  { return cty.NumberIntVal(n) }

var modelSchema = stages.Schema{
	{Name: "provider", Type: cty.String, Required: true,
		Doc: "openai | azure | vllm | ollama | llamacpp | tgi | openai_compatible | mock"},
	{Name: "name", Type: cty.String, Required: true,
		Doc: "model name sent to the endpoint (for azure: the model behind the deployment, used for prices and identity)"},
	{Name: "revision", Type: cty.String,
		Doc: "what identifies the served weights when the name does not (llama.cpp ignores the name; ollama tags move); part of every cache key"},
	{Name: "base_url", Type: cty.DynamicPseudoType,
		Doc: "endpoint URL ending in /v1, or a list of them: replicas serving the same model (calls go to the one with the fewest requests outstanding; one that fails rests and is tried again later; concurrency, rpm and tpm apply to each); defaults per provider (openai: api.openai.com, vllm: localhost:8000, ollama: localhost:11434, llamacpp and tgi: localhost:8080); required for openai_compatible; not part of cache keys"},
	{Name: "api_key", Type: cty.String, Secret: true,
		Doc: `API key; write api_key = env("OPENAI_API_KEY"). Never stored, logged or hashed`},
	{Name: "endpoint", Type: cty.String, Doc: "azure: resource endpoint, https://NAME.openai.azure.com"},
	{Name: "deployment", Type: cty.String, Doc: "azure: deployment name"},
	{Name: "api_version", Type: cty.String, Default: str("2024-06-01"), Doc: "azure: api-version query parameter"},
	{Name: "api", Type: cty.String, Default: str("chat"), Doc: "chat | completions (raw prompt, no chat template)"},
	{Name: "temperature", Type: cty.Number,
		Doc: "sampling temperature; default 0 (greedy, as the protocol), not sent to reasoning models (o1, o3, o4, gpt-5)"},
	{Name: "top_p", Type: cty.Number, Doc: "nucleus sampling; default: not sent"},
	{Name: "max_tokens", Type: cty.Number, Doc: "completion token limit; default: not sent"},
	{Name: "stop", Type: cty.List(cty.String), Doc: "stop sequences"},
	{Name: "seed", Type: cty.Number, Doc: "sampling seed; the request carries seed + sample index"},
	{Name: "n", Type: cty.Number, Default: num(1), Doc: "choices per request"},
	{Name: "stream", Type: cty.Bool, Default: cty.False, Doc: "receive answers as server-sent events (keeps long generations alive through proxies with idle timeouts); not part of the cache key"},
	{Name: "concurrency", Type: cty.Number, Default: num(16), Doc: "requests in flight at most, per endpoint; lowered on 429s and raised again (AIMD)"},
	{Name: "rpm", Type: cty.Number, Doc: "requests per minute for the whole run, per endpoint; default unlimited"},
	{Name: "tpm", Type: cty.Number, Doc: "tokens per minute for the whole run, per endpoint (prompt estimate + max_tokens, corrected by usage); default unlimited"},
	{Name: "timeout", Type: cty.String, Default: str("300s"), Doc: "limit of one attempt"},
	{Name: "max_retries", Type: cty.Number, Default: num(6), Doc: "retries after the first attempt"},
	{Name: "retry_base", Type: cty.String, Default: str("1s"), Doc: "first back-off; doubles per retry, with jitter"},
	{Name: "retry_max", Type: cty.String, Default: str("60s"), Doc: "longest back-off, also the cap on Retry-After"},
	{Name: "price_in", Type: cty.Number, Doc: "USD per million prompt tokens; default from the shipped price table"},
	{Name: "price_out", Type: cty.Number, Doc: "USD per million completion tokens; default from the shipped price table"},
	{Name: "budget_usd", Type: cty.Number, Doc: "stop starting calls once this many dollars were spent in the run"},
	{Name: "budget_tokens", Type: cty.Number, Doc: "stop starting calls once this many tokens (in + out) were spent in the run"},
	{Name: "mock", Type: cty.List(cty.Object(map[string]cty.Type{"match": cty.String, "reply": cty.String})),
		Doc: "mock provider: rules tried in order; the first whose match (RE2) finds the prompt gives the reply"},
	{Name: "mock_default", Type: cty.String, Doc: "mock provider: reply when no rule matches"},
}
