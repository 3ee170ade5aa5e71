package sandbox

import (
	"slices"
	"testing"
)

func TestImports(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"plain", "import numpy as np\nimport os, sys\n", []string{"numpy", "os", "sys"}},
		{"dotted", "import matplotlib.pyplot as plt", []string{"matplotlib.pyplot"}},
		{"from", "from sklearn import preprocessing, linear_model as lm", []string{"sklearn", "sklearn.linear_model", "sklearn.preprocessing"}},
		{"from parens", "from scipy.stats import (\n    norm,\n    ttest_ind,  # a comment\n)\n", []string{"scipy.stats", "scipy.stats.norm", "scipy.stats.ttest_ind"}},
		{"star", "from pandas import *", []string{"pandas"}},
		{"relative", "from . import x\nfrom .a import b\n", nil},
		{"indented", "def f():\n    try:\n        import seaborn\n    except ImportError:\n        pass\n", []string{"seaborn"}},
		{"semicolon", "x = 1; import json; import re", []string{"json", "re"}},
		{"continuation", "import os, \\\n    sys", []string{"os", "sys"}},
		{"in a string", "s = 'import faker'\nt = \"\"\"\nimport nltk\n\"\"\"\nimport re\n", []string{"re"}},
		{"in a comment", "# import cv2\nimport re  # import sympy\n", []string{"re"}},
		{"escaped quote", "s = 'it\\'s; import bad'\nimport good\n", []string{"good"}},
		{"raw string", "s = r'\\'; import bad'\nimport good\n", []string{"good"}},
		{"f-string", "s = f\"{x} import bad\"\nimport good\n", []string{"good"}},
		{"unterminated", "s = 'import bad\nimport good\n", []string{"good"}},
		{"not an import", "important = 1\nfromage = 2\nx.import_module('y')\n", nil},
		{"bad names", "import 9lives\nfrom a..b import c\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Imports(c.src)
			if len(got) == 0 {
				got = nil
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Imports(%q) = %q, want %q", c.src, got, c.want)
			}
		})
	}
}

func FuzzImports(f *testing.F) {
	f.Add("from a import (b,\n c)\ns = '''x\n'''\n")
	f.Fuzz(func(t *testing.T, src string) {
		for _, m := range Imports(src) {
			if !dotted(m) {
				t.Fatalf("%q: not a module name", m)
			}
		}
	})
}
