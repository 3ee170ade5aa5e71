package pipelines

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/ccw-dev/ccw/engine/dag"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Vocabulary is what the loader needs to know about the registered stage
// kinds and resource blocks, without depending on them.
type Vocabulary struct {
	StageKinds     []string
	ResourceBlocks []string
	// Functions are extra HCL functions offered by stage packages.
	Functions map[string]function.Function
}

// Reserved reference roots. Stage kinds and resource blocks must not use them.
var Reserved = []string{"var", "local", "path", "task", "tasks", "experiment", "each", "self", "count", "turn", "prev"}

// Parser loads pipeline files.
type Parser struct {
	vocab Vocabulary
	p     *hclparse.Parser
}

// NewParser returns a Parser for the given vocabulary.
func NewParser(v Vocabulary) *Parser {
	return &Parser{vocab: v, p: hclparse.NewParser()}
}

// Files returns every file the parser has read, for rendering diagnostics
// (also of files that failed to load).
func (p *Parser) Files() map[string]*hcl.File { return p.p.Files() }

// LoadFile reads and loads one pipeline file.
func (p *Parser) LoadFile(path string) (*Config, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read pipeline file",
			Detail:   err.Error(),
		}}
	}
	return p.LoadSource(path, src)
}

// LoadSource loads pipeline source held in memory; filename is used in
// diagnostics and as the base of relative paths.
func (p *Parser) LoadSource(filename string, src []byte) (*Config, hcl.Diagnostics) {
	file, diags := p.p.ParseHCL(src, filename)
	abs, err := filepath.Abs(filename)
	if err != nil {
		abs = filename
	}
	cfg := &Config{
		Path:       filename,
		Dir:        filepath.Dir(abs),
		Files:      p.p.Files(),
		Variables:  map[string]*Variable{},
		Locals:     map[string]*Local{},
		Tasks:      map[string]*Tasks{},
		Resources:  map[string]map[string]*Resource{},
		BrokenRefs: map[string]bool{},
	}
	cfg.SyntaxErrors = diags.HasErrors()
	if file == nil || file.Body == nil {
		return cfg, diags
	}
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "tasks", LabelNames: []string{"name"}},
		{Type: "experiment", LabelNames: []string{"name"}},
	}}
	for _, rb := range p.vocab.ResourceBlocks {
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: rb, LabelNames: []string{"name"}})
		cfg.Resources[rb] = map[string]*Resource{}
	}
	content, moreDiags := file.Body.Content(schema)
	diags = append(diags, moreDiags...)

	seen := map[string]hcl.Range{} // "type.name" -> first declaration
	for _, block := range content.Blocks {
		if block.Type != "locals" {
			nameDiags := checkName(block, seen)
			diags = append(diags, nameDiags...)
			if nameDiags.HasErrors() {
				continue // the first declaration stands
			}
		}
		switch block.Type {
		case "variable":
			v, moreDiags := decodeVariable(block)
			diags = append(diags, moreDiags...)
			if v != nil {
				cfg.Variables[v.Name] = v
			}
		case "locals":
			diags = append(diags, decodeLocals(block, cfg.Locals)...)
		case "tasks":
			cfg.Tasks[block.Labels[0]] = &Tasks{Name: block.Labels[0], Body: block.Body, DeclRange: block.DefRange}
		case "experiment":
			e, moreDiags := p.decodeExperiment(block)
			diags = append(diags, moreDiags...)
			cfg.Experiments = append(cfg.Experiments, e)
		default:
			cfg.Resources[block.Type][block.Labels[0]] = &Resource{Type: block.Type, Name: block.Labels[0], Body: block.Body, DeclRange: block.DefRange}
		}
	}
	diags = append(diags, p.checkReferences(cfg)...)
	return cfg, diags
}

// checkName validates a block's name label and reports duplicates.
func checkName(block *hcl.Block, seen map[string]hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	name := block.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid name",
			Detail:   fmt.Sprintf("%q is not a valid name for a %s block: use letters, digits, underscores and dashes, starting with a letter.", name, block.Type),
			Subject:  &block.LabelRanges[0],
		})
	}
	key := block.Type + "." + name
	if first, dup := seen[key]; dup {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s block", block.Type),
			Detail:   fmt.Sprintf("A %s block named %q was already declared at %s. Names must be unique within a block type.", block.Type, name, first),
			Subject:  &block.LabelRanges[0],
		})
	} else {
		seen[key] = block.DefRange
	}
	return diags
}

var variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "type"}, {Name: "default"}, {Name: "description"},
}}

func decodeVariable(block *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: block.Labels[0], Type: cty.DynamicPseudoType, DeclRange: block.DefRange}
	content, diags := block.Body.Content(variableSchema)
	if attr, ok := content.Attributes["type"]; ok {
		ty, moreDiags := typeexpr.TypeConstraint(attr.Expr)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			v.Type = ty
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		val, moreDiags := attr.Expr.Value(nil)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			if s, err := convert.Convert(val, cty.String); err == nil && !s.IsNull() {
				v.Description = s.AsString()
			}
		}
	}
	if attr, ok := content.Attributes["default"]; ok {
		val, moreDiags := attr.Expr.Value(nil)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			conv, err := convert.Convert(val, v.Type)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail:   fmt.Sprintf("The default of variable %q does not fit its type %s: %s.", v.Name, typeexpr.TypeString(v.Type), err),
					Subject:  attr.Expr.Range().Ptr(),
				})
			} else {
				v.Default = conv
			}
		}
		if v.Default == cty.NilVal {
			v.Default = cty.UnknownVal(v.Type) // reported above; not "required"
		}
	}
	return v, diags
}

func decodeLocals(block *hcl.Block, into map[string]*Local) hcl.Diagnostics {
	attrs, diags := block.Body.JustAttributes()
	for name, attr := range attrs {
		if first, dup := into[name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate local value",
				Detail:   fmt.Sprintf("A local value named %q was already defined at %s.", name, first.DeclRange),
				Subject:  &attr.NameRange,
			})
			continue
		}
		into[name] = &Local{Name: name, Expr: attr.Expr, DeclRange: attr.Range}
	}
	return diags
}

var experimentSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "tasks", Required: true}, {Name: "output"}, {Name: "exclude"}, {Name: "description"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "stage", LabelNames: []string{"kind", "name"}}},
}

func (p *Parser) decodeExperiment(block *hcl.Block) (*Experiment, hcl.Diagnostics) {
	e := &Experiment{Name: block.Labels[0], DeclRange: block.DefRange}
	content, diags := block.Body.Content(experimentSchema)
	if attr, ok := content.Attributes["tasks"]; ok {
		e.TasksExpr = attr.Expr
		trav, moreDiags := hcl.AbsTraversalForExpr(attr.Expr)
		if moreDiags.HasErrors() || len(trav) != 2 || trav.RootName() != "tasks" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid tasks reference",
				Detail:   `The tasks attribute of an experiment must name a tasks block, like tasks = tasks.bcb.`,
				Subject:  attr.Expr.Range().Ptr(),
			})
		} else if step, ok := trav[1].(hcl.TraverseAttr); ok {
			e.Tasks = step.Name
		}
	}
	if attr, ok := content.Attributes["output"]; ok {
		e.Output = attr.Expr
	}
	if attr, ok := content.Attributes["exclude"]; ok {
		e.Exclude = attr.Expr
	}
	if attr, ok := content.Attributes["description"]; ok {
		if v, d := attr.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && !v.IsNull() {
			e.Description = v.AsString()
		}
	}
	seen := map[string]hcl.Range{}
	for _, sb := range content.Blocks {
		kind, name := sb.Labels[0], sb.Labels[1]
		if !slices.Contains(p.vocab.StageKinds, kind) {
			detail := fmt.Sprintf("There is no stage kind %q.", kind)
			if s := Suggest(kind, p.vocab.StageKinds); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			}
			detail += " Known kinds: " + join(p.vocab.StageKinds) + "."
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Unknown stage kind", Detail: detail, Subject: &sb.LabelRanges[0],
			})
			continue
		}
		if !hclsyntax.ValidIdentifier(name) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid name",
				Detail:  fmt.Sprintf("%q is not a valid stage name: use letters, digits, underscores and dashes, starting with a letter.", name),
				Subject: &sb.LabelRanges[1],
			})
			continue
		}
		addr := kind + "." + name
		if first, dup := seen[addr]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate stage",
				Detail:  fmt.Sprintf("Stage %s was already declared at %s in experiment %q.", addr, first, e.Name),
				Subject: &sb.LabelRanges[1],
			})
			continue
		}
		seen[addr] = sb.DefRange
		e.Stages = append(e.Stages, &Stage{Kind: kind, Name: name, Body: sb.Body, DeclRange: sb.DefRange, TypeRange: sb.TypeRange})
	}
	return e, diags
}

// StageGraph returns the dependency graph of an experiment's stages.
func (e *Experiment) StageGraph() *dag.Graph {
	g := dag.NewGraph()
	for _, s := range e.Stages {
		g.Add(s.Addr())
		for _, d := range s.Deps {
			g.DependsOn(s.Addr(), d)
		}
	}
	return g
}

func join(list []string) string {
	l := append([]string(nil), list...)
	sort.Strings(l)
	out := ""
	for i, s := range l {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
