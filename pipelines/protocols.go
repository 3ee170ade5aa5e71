package pipelines

import (
	"embed"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ccw-dev/ccw/engine/dag"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// builtinFS holds the protocol files shipped with ccw: protocol NAME is
// NAME.hcl beside this file.
//
//go:embed *.hcl
var builtinFS embed.FS

// BuiltinProtocols lists the names of the built-in protocols.
func BuiltinProtocols() []string {
	entries, _ := builtinFS.ReadDir(".")
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".hcl"); ok {
			out = append(out, name)
		}
	}
	return out
}

// BuiltinProtocol returns the source of a built-in protocol file.
func BuiltinProtocol(name string) ([]byte, bool) {
	b, err := builtinFS.ReadFile(name + ".hcl")
	return b, err == nil
}

// builtinFilename is the name built-in protocol files have in diagnostics;
// it cannot collide with a file a user loads.
func builtinFilename(name string) string { return "(builtin)/" + name + ".hcl" }

// protocolFor loads the protocol an experiment's protocol attribute names:
// a built-in protocol by name, or a protocol file by path (relative to the
// experiment's file). Each protocol is loaded once per parser.
func (p *Parser) protocolFor(attr *hcl.Attribute, cfg *Config) (*Protocol, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || v.IsNull() {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid protocol",
			Detail: fmt.Sprintf("protocol must be a literal string: a built-in protocol (%s) or the path of a protocol file.",
				strings.Join(BuiltinProtocols(), ", ")),
			Subject: attr.Expr.Range().Ptr(),
		}}
	}
	ref := v.AsString()
	isPath := strings.ContainsRune(ref, '/') || strings.HasSuffix(ref, ".hcl")
	key, filename := "builtin:"+ref, builtinFilename(ref)
	if isPath {
		filename = ref
		if !filepath.IsAbs(ref) {
			// Relative to the including file, as the user named it (so
			// that diagnostics show the short path).
			filename = filepath.Join(filepath.Dir(cfg.Path), ref)
		}
		key = "file:" + filename
	}
	if proto, ok := p.protocols[key]; ok {
		return proto, nil
	}
	var src []byte
	if isPath {
		b, err := os.ReadFile(filename)
		if err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read protocol file", Detail: err.Error(), Subject: attr.Expr.Range().Ptr()}}
		}
		src = b
	} else {
		b, ok := BuiltinProtocol(ref)
		if !ok {
			detail := fmt.Sprintf("There is no built-in protocol %q.", ref)
			if s := Suggest(ref, BuiltinProtocols()); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			}
			detail += " Built in: " + strings.Join(BuiltinProtocols(), ", ") + "; or give the path of a protocol file."
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown protocol", Detail: detail, Subject: attr.Expr.Range().Ptr()}}
		}
		src = b
	}
	proto, diags := p.loadProtocolFile(filename, src, cfg)
	if proto != nil {
		proto.Source, proto.Builtin = ref, !isPath
	}
	p.protocols[key] = proto
	return proto, diags
}

// loadProtocolFile parses a protocol file: variable and locals blocks (the
// variables are the protocol's parameters) and exactly one protocol block.
func (p *Parser) loadProtocolFile(filename string, src []byte, includer *Config) (*Protocol, hcl.Diagnostics) {
	file, diags := p.p.ParseHCL(src, filename)
	dir := includer.Dir
	if !strings.HasPrefix(filename, "(builtin)/") {
		if abs, err := filepath.Abs(filename); err == nil {
			dir = filepath.Dir(abs)
		}
	}
	cfg := &Config{
		Path: filename, Dir: dir, Files: p.p.Files(), Variables: map[string]*Variable{}, Locals: map[string]*Local{},
		Tasks: map[string]*Tasks{}, Resources: map[string]map[string]*Resource{}, BrokenRefs: includer.BrokenRefs,
	}
	if diags.HasErrors() || file == nil || file.Body == nil {
		return nil, diags
	}
	content, moreDiags := file.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "protocol", LabelNames: []string{"name"}},
	}})
	diags = append(diags, moreDiags...)
	var proto *Protocol
	diags = append(diags, p.decodeBlocks(content, cfg, func(block *hcl.Block) hcl.Diagnostics {
		if proto != nil {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Several protocol blocks",
				Detail:  fmt.Sprintf("A protocol file declares one protocol; %q was declared first at %s.", proto.Name, proto.DeclRange),
				Subject: block.DefRange.Ptr(),
			}}
		}
		pc, diags := block.Body.Content(protocolSchema)
		body, moreDiags := p.decodeBody(pc, cfg, "protocol", block.Labels[0])
		diags = append(diags, moreDiags...)
		body.DeclRange = block.DefRange
		proto = &Protocol{Name: block.Labels[0], File: cfg, Body: body, DeclRange: block.DefRange}
		if a, ok := pc.Attributes["description"]; ok {
			if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && !v.IsNull() {
				proto.Description = v.AsString()
			}
		}
		return diags
	})...)
	if proto == nil {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "No protocol block",
			Detail:  fmt.Sprintf("%s declares no protocol block, so it is not a protocol file.", filename),
			Subject: &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
		})
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Locals)) {
		for _, t := range cfg.Locals[name].Expr.Variables() {
			diags = append(diags, (&scope{what: "a local value", cfg: cfg}).check(t)...)
		}
	}
	diags = append(diags, p.checkBody(proto.Body, cfg, "protocol", proto.Name, false)...)
	return proto, diags
}

// checkArgs matches an experiment's attributes to its protocol's
// variables: unknown names and missing required values are errors.
func (p *Parser) checkArgs(e *Experiment, proto *Protocol) hcl.Diagnostics {
	var diags hcl.Diagnostics
	params := slices.Sorted(maps.Keys(proto.File.Variables))
	for _, name := range slices.Sorted(maps.Keys(e.Args)) {
		a := e.Args[name]
		if _, ok := proto.File.Variables[name]; ok {
			continue
		}
		detail := fmt.Sprintf("Protocol %s has no parameter %q.", proto.Name, name)
		if s := Suggest(name, params); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		detail += " Its parameters: " + strings.Join(params, ", ") + "; and every experiment has tasks, output, exclude, description, combinations and turns."
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown protocol parameter", Detail: detail, Subject: a.NameRange.Ptr()})
	}
	for _, name := range params {
		if v := proto.File.Variables[name]; v.Required() && e.Args[name] == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Missing protocol parameter",
				Detail:  fmt.Sprintf("Protocol %s needs %s (declared at %s): set it in the experiment, like %s = ...", proto.Name, name, v.DeclRange, name),
				Subject: e.DeclRange.Ptr(),
			})
		}
	}
	return diags
}

// StageGraph returns the dependency graph of the stages of turn 0 (the
// only turn without a turn block).
func (e *Experiment) StageGraph() *dag.Graph { return stageGraph(e.Body.Stages) }

// TurnGraph returns the dependency graph of the stages of a later turn
// (empty without a turn block); prev references are not edges.
func (e *Experiment) TurnGraph() *dag.Graph {
	if e.Body.Turn == nil {
		return dag.NewGraph()
	}
	return stageGraph(e.Body.Turn.Stages)
}

func stageGraph(list []*Stage) *dag.Graph {
	g := dag.NewGraph()
	for _, s := range list {
		g.Add(s.Addr())
		for _, d := range s.Deps {
			g.DependsOn(s.Addr(), d)
		}
	}
	return g
}
