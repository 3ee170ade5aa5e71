package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ccw-dev/ccw/internal/testenv"
)

// chromiumPath finds Debian's chromium (installed by .ci/setup).
func chromiumPath(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	testenv.Missing(t, "chromium is not installed (.ci/setup installs it)")
	return ""
}

// TestQuickstartHTMLReport runs the quickstart, writes its HTML report and
// opens it in headless Chromium: the page loads nothing from the network
// and logs no error, it draws one SVG curve per combination, and typing a
// task id into the search box leaves exactly that task shown. With
// -update it saves a screenshot to docs/quickstart-report.png (shown in
// the README), and the curves plot beside it.
func TestQuickstartHTMLReport(t *testing.T) {
	needPython(t)
	chromium := chromiumPath(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	ccw(t, nil, 0, "run", "quickstart.hcl", "--cache", filepath.Join(dir, "cache"), "--out", out)
	page := filepath.Join(dir, "report.html")
	plotFile := filepath.Join(dir, "curves.png")
	ccw(t, nil, 0, "report", out, "--html", page, "--plot", plotFile)
	raw, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{`src="http`, `href="http`, "url(http", "@import", `<link `} {
		if strings.Contains(string(raw), ref) {
			t.Errorf("the report refers to something outside itself: %q", ref)
		}
	}
	if fi, err := os.Stat(plotFile); err != nil || fi.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium")), chromedp.WindowSize(1250, 1500))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	var mu sync.Mutex
	var problems, requests []string
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, "console "+string(ev.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				problems = append(problems, "log: "+ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	run := func(a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	run(chromedp.Navigate("file://" + page))
	curves, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg#curves path.curve').length`))
	if err != nil {
		t.Fatal(err)
	}
	combos, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('svg#curves path.curve')).map(p => p.getAttribute('data-combination'))`))
	if err != nil {
		t.Fatal(err)
	}
	before, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('section.task:not(.hidden)').length`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	// Type into the search box: focus it, then text input as a keyboard
	// or an input method delivers it (an input event).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('search').focus()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: "CCWMini/7"}); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('section.task:not(.hidden)')).map(s => s.getAttribute('data-task'))`))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the page reported problems: %q", problems)
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page fetched %s", u)
		}
	}
	want := []string{"cf", "cf_ef_partial", "cf_ef_full", "cf_snf", "cf_ef_partial_snf", "cf_ef_full_snf", "cf_sef", "cf_ef_partial_sef", "cf_ef_full_sef"}
	if curves != 9 || !slices.Equal(combos, want) {
		t.Errorf("%d curves for %q, want one per combination %q", curves, combos, want)
	}
	if before != 17 || !slices.Equal(shown, []string{"CCWMini/7"}) {
		t.Errorf("search: %d tasks shown before, %q after typing CCWMini/7", before, shown)
	}
	if *update {
		if err := os.WriteFile(filepath.Join("..", "docs", "quickstart-report.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
