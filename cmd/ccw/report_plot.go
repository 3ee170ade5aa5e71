package main

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// writePlot writes the Pass@1-per-turn curves of runs to path (.png or
// .svg) with gonum/plot: one line per (run, combination), colours by
// combination, dashes by run.
func writePlot(path string, runs []*reportRun) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".png" && ext != ".svg" {
		return fmt.Errorf("--plot %s: want a .png or .svg file", path)
	}
	p := plot.New()
	p.Title.Text = "Pass@1 per turn"
	p.X.Label.Text = "turn"
	p.Y.Label.Text = "Pass@1 (%)"
	p.Y.Min, p.Y.Max = 0, 100
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = false
	maxTurn := 0
	for ri, r := range runs {
		cs := r.curves()
		maxTurn = max(maxTurn, r.lastTurn())
		for ci, comb := range r.out.Combinations {
			pts := cs[comb.Name]
			if len(pts) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(pts))
			for i, pt := range pts {
				xy[i].X, xy[i].Y = float64(pt.turn), 100*pt.value
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			l.Color = hexColor(palette[ci%len(palette)])
			l.Width = vg.Points(1.5)
			if ri > 0 {
				l.Dashes = []vg.Length{vg.Points(float64(2 + 2*ri)), vg.Points(2)}
			}
			p.Add(l)
			label := comb.Label
			if len(runs) > 1 {
				label = r.name + ": " + label
			}
			p.Legend.Add(label, l)
		}
	}
	p.X.Min, p.X.Max = 0, float64(max(maxTurn, 1))
	p.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {
		var ts []plot.Tick
		for t := 0; t <= maxTurn; t++ {
			ts = append(ts, plot.Tick{Value: float64(t), Label: strconv.Itoa(t)})
		}
		return ts
	})
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.ThumbnailWidth = vg.Points(18)
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}

func hexColor(s string) color.Color {
	var r, g, b uint8
	fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b)
	return color.RGBA{R: r, G: g, B: b, A: 255}
}
