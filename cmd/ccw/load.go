package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ccw-dev/ccw/engine"
	"github.com/ccw-dev/ccw/pipelines"
	"github.com/ccw-dev/ccw/stages/builtin"
	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"
)

// loaded is a compiled pipeline file and what is needed to render
// diagnostics about it.
type loaded struct {
	plan   *engine.Plan
	parser *pipelines.Parser
}

// load parses, evaluates and compiles a pipeline file. Every diagnostic is
// printed; an error is returned when any of them is an error.
func load(e *env, f loadFlags, datasetDir string) (*loaded, error) {
	overrides, err := pipelines.Overrides(f.Var)
	if err != nil {
		return nil, err
	}
	set := builtin.Registry(builtin.Options{DatasetDir: datasetDir})
	parser := pipelines.NewParser(engine.Vocabulary(set))
	cfg, diags := parser.LoadFile(f.File)
	l := &loaded{parser: parser}
	if cfg != nil {
		scope, moreDiags := parser.Evaluate(cfg, overrides)
		diags = append(diags, moreDiags...)
		if !cfg.SyntaxErrors {
			plan, moreDiags := engine.Compile(cfg, scope, set)
			diags = append(diags, moreDiags...)
			l.plan = plan
		}
	}
	l.printDiags(e.stderr, diags)
	if diags.HasErrors() {
		if l.plan != nil {
			l.plan.Close()
		}
		return nil, exitError(exitFailure)
	}
	return l, nil
}

func (l *loaded) printDiags(w io.Writer, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	width, color := termInfo(w)
	dw := hcl.NewDiagnosticTextWriter(w, l.parser.Files(), width, color)
	_ = dw.WriteDiagnostics(diags)
	errs, warns := 0, 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	if errs > 0 {
		fmt.Fprintf(w, "%d error(s), %d warning(s).\n", errs, warns)
	}
}

// printRunError renders a stage failure with the stage's source.
func (l *loaded) printRunError(w io.Writer, err error) {
	var ve *engine.VertexError
	if errors.As(err, &ve) {
		if len(ve.Diags) > 0 {
			fmt.Fprintf(w, "%s:\n", ve.Addr())
			l.printDiags(w, ve.Diags)
			return
		}
		l.printDiags(w, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Stage failed: " + ve.Addr(),
			Detail:   ve.Err.Error(),
			Subject:  ve.Range.Ptr(),
		}})
		return
	}
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		l.printDiags(w, diags)
		return
	}
	fmt.Fprintln(w, "ccw:", err)
}

func termInfo(w io.Writer) (uint, bool) {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if wd, _, err := term.GetSize(int(f.Fd())); err == nil && wd > 20 {
			return uint(wd), os.Getenv("NO_COLOR") == ""
		}
		return 100, os.Getenv("NO_COLOR") == ""
	}
	return 100, false
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
