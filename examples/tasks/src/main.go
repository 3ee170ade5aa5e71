package main

import (
	"embed"
	"flag"
	"fmt"
	"os"
)

//go:generate go run . -o ../ccw-mini.jsonl

//go:embed *.py
var taskFiles embed.FS

func main() {
	out := flag.String("o", "ccw-mini.jsonl", "file to write")
	flag.Parse()
	data, err := build(taskFiles)
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ccw-mini:", err)
		os.Exit(1)
	}
}
