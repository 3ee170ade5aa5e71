package llm

import "strings"

// Price is what a model charges, in US dollars per million tokens.
type Price struct {
	In  float64 // prompt tokens
	Out float64 // completion tokens
}

// Cost returns the price of a call.
func (p Price) Cost(in, out int) float64 {
	return (float64(in)*p.In + float64(out)*p.Out) / 1e6
}

// priceTable holds list prices of common hosted models (USD per million
// tokens, standard tier, as published by OpenAI in 2025). Names match by
// longest prefix, so dated snapshots inherit their family's price unless
// listed. Override with price_in / price_out in the model block.
var priceTable = map[string]Price{
	"gpt-4o":             {2.50, 10.00},
	"gpt-4o-2024-05-13":  {5.00, 15.00},
	"chatgpt-4o-latest":  {5.00, 15.00},
	"gpt-4o-mini":        {0.15, 0.60},
	"gpt-4-turbo":        {10.00, 30.00},
	"gpt-4-0125-preview": {10.00, 30.00},
	"gpt-4-1106-preview": {10.00, 30.00},
	"gpt-4":              {30.00, 60.00},
	"gpt-4-32k":          {60.00, 120.00},
	"gpt-4.1":            {2.00, 8.00},
	"gpt-4.1-mini":       {0.40, 1.60},
	"gpt-4.1-nano":       {0.10, 0.40},
	"gpt-3.5-turbo":      {0.50, 1.50},
	"o1":                 {15.00, 60.00},
	"o1-mini":            {1.10, 4.40},
	"o3":                 {2.00, 8.00},
	"o3-mini":            {1.10, 4.40},
	"o4-mini":            {1.10, 4.40},
	"gpt-5":              {1.25, 10.00},
	"gpt-5-mini":         {0.25, 2.00},
	"gpt-5-nano":         {0.05, 0.40},
}

// lookupPrice returns the shipped price of a model. Self-hosted servers
// and the mock cost nothing per token; an openai_compatible endpoint may be
// a paid proxy, so only names in the table have a price there.
func lookupPrice(provider, name string) (Price, bool) {
	switch provider {
	case ProviderVLLM, ProviderOllama, ProviderLlamaCpp, ProviderTGI, ProviderMock:
		return Price{}, true
	}
	best, found := "", false
	for prefix := range priceTable {
		if strings.HasPrefix(name, prefix) && len(prefix) > len(best) {
			best, found = prefix, true
		}
	}
	return priceTable[best], found
}
