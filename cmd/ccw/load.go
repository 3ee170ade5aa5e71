package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"

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
	l, diags := compileFile(f.File, overrides, datasetDir)
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
	diags = sortedDiags(diags)
	width, color := termInfo(w)
	dw := hcl.NewDiagnosticTextWriter(w, maskSecrets(l.parser.Files(), diags), width, color)
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

// compileFile loads, evaluates and compiles a pipeline file, returning
// every diagnostic of every phase it could reach.
func compileFile(path string, overrides map[string]string, datasetDir string) (*loaded, hcl.Diagnostics) {
	set := builtin.Registry(builtin.Options{DatasetDir: datasetDir})
	parser := pipelines.NewParser(engine.Vocabulary(set))
	cfg, diags := parser.LoadFile(path)
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
	return l, diags
}

// maskSecrets returns files with every secret that a diagnostic points at
// overwritten by asterisks, so that rendering the snippet cannot print it.
func maskSecrets(files map[string]*hcl.File, diags hcl.Diagnostics) map[string]*hcl.File {
	var out map[string]*hcl.File
	for _, d := range diags {
		sec, ok := d.Extra.(engine.SecretSource)
		if !ok {
			continue
		}
		if files[sec.Range.Filename] == nil {
			continue
		}
		if out == nil {
			out = maps.Clone(files)
		}
		masked := *out[sec.Range.Filename] // masked already, when a second secret is in this file
		masked.Bytes = append([]byte(nil), masked.Bytes...)
		for i := sec.Range.Start.Byte; i < sec.Range.End.Byte && i < len(masked.Bytes); i++ {
			if masked.Bytes[i] != '\n' {
				masked.Bytes[i] = '*'
			}
		}
		out[sec.Range.Filename] = &masked
	}
	if out == nil {
		return files
	}
	return out
}

// sortedDiags orders diagnostics by file and position, those without a
// position first.
func sortedDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	out := append(hcl.Diagnostics(nil), diags...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Subject, out[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return out
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
