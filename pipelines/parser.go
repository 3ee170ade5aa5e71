package pipelines

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"

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
	// ResourceTypes are the types of references to resource blocks, by
	// block type: a protocol's variable may be declared type = model.
	ResourceTypes map[string]cty.Type
}

// Reserved reference roots. Stage kinds and resource blocks must not use them.
var Reserved = []string{"var", "local", "path", "task", "tasks", "experiment", "each", "self", "count", "turn", "prev"}

// Parser loads pipeline files.
type Parser struct {
	vocab     Vocabulary
	p         *hclparse.Parser
	protocols map[string]*Protocol // loaded protocol files, by source
}

// NewParser returns a Parser for the given vocabulary.
func NewParser(v Vocabulary) *Parser {
	return &Parser{vocab: v, p: hclparse.NewParser(), protocols: map[string]*Protocol{}}
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

	diags = append(diags, p.decodeBlocks(content, cfg, func(block *hcl.Block) hcl.Diagnostics {
		switch block.Type {
		case "tasks":
			cfg.Tasks[block.Labels[0]] = &Tasks{Name: block.Labels[0], Body: block.Body, DeclRange: block.DefRange}
		case "experiment":
			e, diags := p.decodeExperiment(block, cfg)
			cfg.Experiments = append(cfg.Experiments, e)
			return diags
		default:
			cfg.Resources[block.Type][block.Labels[0]] = &Resource{Type: block.Type, Name: block.Labels[0], Body: block.Body, DeclRange: block.DefRange}
		}
		return nil
	})...)
	diags = append(diags, p.checkReferences(cfg)...)
	return cfg, diags
}

// decodeBlocks decodes the top-level blocks of a file: it checks every
// named block's label (valid, not a duplicate: the first declaration
// stands), decodes variable and locals blocks, and hands the others to
// other.
func (p *Parser) decodeBlocks(content *hcl.BodyContent, cfg *Config, other func(*hcl.Block) hcl.Diagnostics) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{} // "type.name" -> first declaration
	for _, block := range content.Blocks {
		if block.Type != "locals" {
			nameDiags := checkName(block, seen)
			diags = append(diags, nameDiags...)
			if nameDiags.HasErrors() {
				continue
			}
		}
		switch block.Type {
		case "variable":
			v, moreDiags := p.decodeVariable(block)
			diags = append(diags, moreDiags...)
			if v != nil {
				cfg.Variables[v.Name] = v
			}
		case "locals":
			diags = append(diags, decodeLocals(block, cfg.Locals)...)
		default:
			diags = append(diags, other(block)...)
		}
	}
	return diags
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

func (p *Parser) decodeVariable(block *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: block.Labels[0], Type: cty.DynamicPseudoType, DeclRange: block.DefRange}
	content, diags := block.Body.Content(variableSchema)
	if attr, ok := content.Attributes["type"]; ok {
		if ty, ok := p.resourceType(attr.Expr); ok {
			v.Type = ty
		} else {
			ty, moreDiags := typeexpr.TypeConstraint(attr.Expr)
			diags = append(diags, moreDiags...)
			if !moreDiags.HasErrors() {
				v.Type = ty
			}
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

// resourceType reads a type constraint that names a resource block kind
// (type = model): references to such blocks are its values.
func (p *Parser) resourceType(expr hcl.Expression) (cty.Type, bool) {
	t, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || len(t) != 1 {
		return cty.NilType, false
	}
	ty, ok := p.vocab.ResourceTypes[t.RootName()]
	return ty, ok
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

var (
	experimentSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "tasks", Required: true}, {Name: "output"}, {Name: "exclude"}, {Name: "description"},
			{Name: "protocol"}, {Name: "combinations"}, {Name: "turns"}, {Name: "until"}, {Name: "metrics"},
		},
		Blocks: bodyBlocks,
	}
	protocolSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "description"}, {Name: "turns"}, {Name: "until"}, {Name: "metrics"}},
		Blocks:     bodyBlocks,
	}
	bodyBlocks = []hcl.BlockHeaderSchema{
		{Type: "stage", LabelNames: []string{"kind", "name"}},
		{Type: "combination", LabelNames: []string{"name"}},
		{Type: "turn"},
	}
	turnSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "stage", LabelNames: []string{"kind", "name"}}}}
	whenSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "when"}}}
)

func (p *Parser) decodeExperiment(block *hcl.Block, cfg *Config) (*Experiment, hcl.Diagnostics) {
	e := &Experiment{Name: block.Labels[0], DeclRange: block.DefRange}
	// With a protocol, attributes the experiment schema does not name are
	// the protocol's arguments; without one, they are errors.
	content, remain, diags := block.Body.PartialContent(experimentSchema)
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
	if attr, ok := content.Attributes["combinations"]; ok {
		e.Select = attr.Expr
	}
	if attr, ok := content.Attributes["turns"]; ok {
		e.Turns = attr.Expr
	}
	if attr, ok := content.Attributes["description"]; ok {
		if v, d := attr.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && !v.IsNull() {
			e.Description = v.AsString()
		}
	}
	attr, hasProtocol := content.Attributes["protocol"]
	if !hasProtocol {
		// The experiment's own body; everything else is unexpected.
		_, moreDiags := remain.Content(&hcl.BodySchema{})
		diags = append(diags, moreDiags...)
		body, moreDiags := p.decodeBody(content, cfg, "experiment", e.Name)
		diags = append(diags, moreDiags...)
		e.Body = body
		return e, diags
	}

	proto, moreDiags := p.protocolFor(attr, cfg)
	diags = append(diags, moreDiags...)
	args, moreDiags := otherAttributes(block.Body, remain, experimentSchema)
	diags = append(diags, moreDiags...)
	e.Args = args
	// The body comes from the protocol; the experiment may add
	// combinations, and may not declare stages or stop rules of its own.
	for _, b := range content.Blocks {
		if b.Type != "combination" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: fmt.Sprintf("Unexpected %s block", b.Type),
				Detail:  fmt.Sprintf("Experiment %q runs a protocol, which declares the stages and turns; an experiment that runs a protocol may only add combination blocks.", e.Name),
				Subject: b.DefRange.Ptr(),
			})
		}
	}
	if u, ok := content.Attributes["until"]; ok {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Unexpected until",
			Detail:  "The stop rule belongs to the protocol; an experiment that runs a protocol cannot set it.",
			Subject: u.NameRange.Ptr(),
		})
	}
	if m, ok := content.Attributes["metrics"]; ok {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Unexpected metrics",
			Detail:  "How rows become metrics belongs to the protocol; an experiment that runs a protocol sets it through the protocol's variables, if the protocol has any.",
			Subject: m.NameRange.Ptr(),
		})
	}
	if proto == nil {
		e.Body = &Body{File: cfg, DeclRange: block.DefRange}
		return e, diags
	}
	e.Protocol = proto
	diags = append(diags, p.checkArgs(e, proto)...)
	body := *proto.Body
	body.Combinations = append([]*Combination(nil), proto.Body.Combinations...)
	seen := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		if b.Type != "combination" {
			continue
		}
		c, moreDiags := decodeCombination(b, cfg, seen)
		diags = append(diags, moreDiags...)
		if c == nil {
			continue
		}
		diags = append(diags, checkAddedCombination(c, proto)...)
		replaced := false
		for i, old := range body.Combinations {
			if old.Name == c.Name {
				body.Combinations[i], replaced = c, true
			}
		}
		if !replaced {
			body.Combinations = append(body.Combinations, c)
		}
	}
	e.Body = &body
	return e, diags
}

// otherAttributes returns the attributes of body that schema does not
// name (remain is what PartialContent left). hclsyntax's JustAttributes
// would also complain about the blocks schema did take.
func otherAttributes(body, remain hcl.Body, schema *hcl.BodySchema) (hcl.Attributes, hcl.Diagnostics) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return remain.JustAttributes()
	}
	known := map[string]bool{}
	for _, a := range schema.Attributes {
		known[a.Name] = true
	}
	out := hcl.Attributes{}
	for name, a := range sb.Attributes {
		if !known[name] {
			out[name] = a.AsHCLAttribute()
		}
	}
	return out, nil
}

// decodeBody decodes the stages, combinations, turn block and stop rule of
// an experiment or protocol body. owner and name say whose body it is.
func (p *Parser) decodeBody(content *hcl.BodyContent, file *Config, owner, name string) (*Body, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	b := &Body{File: file, CombinationRefs: map[string]hcl.Range{}}
	if attr, ok := content.Attributes["until"]; ok {
		b.Until = attr.Expr
	}
	if attr, ok := content.Attributes["turns"]; ok {
		b.Turns = attr.Expr
	}
	if attr, ok := content.Attributes["metrics"]; ok {
		b.Metrics = attr.Expr
	}
	seenStages := map[string]hcl.Range{}
	seenCombos := map[string]hcl.Range{}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "stage":
			st, moreDiags := p.decodeStage(blk, seenStages, owner, name, false)
			diags = append(diags, moreDiags...)
			if st != nil {
				b.Stages = append(b.Stages, st)
			}
		case "combination":
			c, moreDiags := decodeCombination(blk, file, seenCombos)
			diags = append(diags, moreDiags...)
			if c != nil {
				b.Combinations = append(b.Combinations, c)
			}
		case "turn":
			if b.Turn != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Duplicate turn block",
					Detail:  fmt.Sprintf("The turn block of %s %q was already declared at %s; put every stage of a turn in one block.", owner, name, b.Turn.DeclRange),
					Subject: blk.DefRange.Ptr(),
				})
				continue
			}
			b.Turn = &Turn{DeclRange: blk.DefRange}
			tc, moreDiags := blk.Body.Content(turnSchema)
			diags = append(diags, moreDiags...)
			seen := map[string]hcl.Range{}
			for _, sb := range tc.Blocks {
				st, moreDiags := p.decodeStage(sb, seen, owner, name, true)
				diags = append(diags, moreDiags...)
				if st != nil {
					b.Turn.Stages = append(b.Turn.Stages, st)
				}
			}
		}
	}
	return b, diags
}

func (p *Parser) decodeStage(sb *hcl.Block, seen map[string]hcl.Range, owner, name string, inTurn bool) (*Stage, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	kind, sname := sb.Labels[0], sb.Labels[1]
	if !slices.Contains(p.vocab.StageKinds, kind) {
		detail := fmt.Sprintf("There is no stage kind %q.", kind)
		if s := Suggest(kind, p.vocab.StageKinds); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		detail += " Known kinds: " + join(p.vocab.StageKinds) + "."
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Unknown stage kind", Detail: detail, Subject: &sb.LabelRanges[0],
		})
	}
	if !hclsyntax.ValidIdentifier(sname) {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid name",
			Detail:  fmt.Sprintf("%q is not a valid stage name: use letters, digits, underscores and dashes, starting with a letter.", sname),
			Subject: &sb.LabelRanges[1],
		})
	}
	addr := kind + "." + sname
	if first, dup := seen[addr]; dup {
		where := fmt.Sprintf("%s %q", owner, name)
		if inTurn {
			where = "the turn block of " + where
		}
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Duplicate stage",
			Detail:  fmt.Sprintf("Stage %s was already declared at %s in %s.", addr, first, where),
			Subject: &sb.LabelRanges[1],
		})
	}
	seen[addr] = sb.DefRange
	st := &Stage{Kind: kind, Name: sname, Body: sb.Body, InTurn: inTurn, DeclRange: sb.DefRange, TypeRange: sb.TypeRange}
	wc, rest, moreDiags := sb.Body.PartialContent(whenSchema)
	diags = append(diags, moreDiags...)
	if a, ok := wc.Attributes["when"]; ok {
		st.When = a.Expr
		st.Body = rest
	}
	return st, diags
}

func decodeCombination(blk *hcl.Block, file *Config, seen map[string]hcl.Range) (*Combination, hcl.Diagnostics) {
	name := blk.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid name",
			Detail:  fmt.Sprintf("%q is not a valid combination name: use letters, digits, underscores and dashes, starting with a letter.", name),
			Subject: &blk.LabelRanges[0],
		}}
	}
	if first, dup := seen[name]; dup {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Duplicate combination",
			Detail:  fmt.Sprintf("A combination named %q was already declared at %s.", name, first),
			Subject: &blk.LabelRanges[0],
		}}
	}
	seen[name] = blk.DefRange
	attrs, diags := blk.Body.JustAttributes()
	if a, ok := attrs["name"]; ok {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Reserved combination attribute",
			Detail:  "combination.name is the block's label; choose another attribute name.",
			Subject: a.NameRange.Ptr(),
		})
		delete(attrs, "name")
	}
	return &Combination{Name: name, Attrs: attrs, File: file, DeclRange: blk.DefRange}, diags
}

// checkAddedCombination reports attributes a combination added by an
// experiment lacks although the protocol's stages read them.
func checkAddedCombination(c *Combination, proto *Protocol) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, attr := range slices.Sorted(maps.Keys(proto.Body.CombinationRefs)) {
		if attr == "name" || attr == "label" {
			continue
		}
		if _, ok := c.Attrs[attr]; !ok {
			rng := proto.Body.CombinationRefs[attr]
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Missing combination attribute",
				Detail:  fmt.Sprintf("Combination %q has no attribute %q, which protocol %s reads at %s.", c.Name, attr, proto.Name, rng),
				Subject: c.DeclRange.Ptr(),
			})
		}
	}
	return diags
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
