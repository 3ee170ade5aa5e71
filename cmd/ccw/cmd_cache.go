package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/ccw-dev/ccw/engine/cache"
	"strings"

	"github.com/ccw-dev/ccw/engine/cachekey"
)

type cacheCmd struct {
	Explain cacheExplainCmd `cmd:"" help:"Show what went into a cache key (a full key or a unique prefix)."`
	Du      cacheDuCmd      `cmd:"" help:"Show the cache's size by stage kind and age."`
	Gc      cacheGcCmd      `cmd:"" help:"Delete what the given runs and pipeline files no longer reference (or keep what is younger than --younger-than)."`
}

type cacheExplainCmd struct {
	cacheFlag
	Key  string `arg:"" name:"key" help:"Cache key, e.g. sha256:3f2a... or a prefix of at least 6 hex digits."`
	Full bool   `help:"Show long strings whole instead of abbreviated."`
}

func (c *cacheExplainCmd) Run(e *env) error {
	store, err := c.open(cache.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	key := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(c.Key)), "sha256:")
	if len(key) < 64 {
		if len(key) < 6 {
			return fmt.Errorf("key prefix %q is too short: give at least 6 hex digits", c.Key)
		}
		found, err := store.FindKeys(key, 2)
		if err != nil {
			return err
		}
		switch len(found) {
		case 0:
			return fmt.Errorf("no cache entry starts with %q in %s", c.Key, store.Location())
		case 2:
			return fmt.Errorf("prefix %q is ambiguous; give more digits", c.Key)
		}
		key = found[0]
	}
	k, err := cachekey.Parse(key)
	if err != nil {
		return err
	}
	d, _ := k.Digest()
	entry, ok, err := store.Lookup(d)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no valid cache entry for %s in %s", k, store.Location())
	}
	fmt.Fprintf(e.stdout, "key:     %s\ntype:    %s\ncreated: %s\nresult:  %d bytes, sha256:%s\n", k, entry.Type, entry.Created.Format("2006-01-02 15:04:05 MST"), entry.Size, hex.EncodeToString(entry.Result[:]))
	if !entry.HasExplain() {
		fmt.Fprintln(e.stdout, "inputs:  (no explain record was stored for this entry)")
		return nil
	}
	raw, ok := store.GetBlob(entry.Explain)
	if !ok {
		fmt.Fprintln(e.stdout, "inputs:  (the explain record is missing or damaged)")
		return nil
	}
	var rec cachekey.Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("explain record: %w", err)
	}
	if rec.Address != "" {
		fmt.Fprintf(e.stdout, "computed by: %s\n", rec.Address)
	}
	fmt.Fprintln(e.stdout, "inputs:")
	for _, p := range rec.Parts {
		v := p.Value
		if !c.Full {
			v = abbreviate(v)
		}
		b, _ := json.MarshalIndent(v, "    ", "  ")
		fmt.Fprintf(e.stdout, "  %s (%s): %s\n", p.Name, p.Kind, b)
	}
	return nil
}

// abbreviate shortens long strings inside a JSON-like value.
func abbreviate(v any) any {
	switch x := v.(type) {
	case string:
		if len(x) > 160 {
			return fmt.Sprintf("%s… (%d bytes; --full shows all)", x[:120], len(x))
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = abbreviate(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = abbreviate(e)
		}
		return out
	}
	return v
}
