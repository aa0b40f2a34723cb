// Command genreasons writes the table of reason codes (report.Reasons) into
// the README, between <!-- reasons:begin --> and <!-- reasons:end -->. It
// runs with go generate ./report.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/report/internal/mdblock"
)

func main() {
	readme := flag.String("readme", "README.md", "the Markdown file to update")
	flag.Parse()
	if err := generate(*readme); err != nil {
		fmt.Fprintln(os.Stderr, "genreasons:", err)
		os.Exit(1)
	}
}

func generate(path string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var table bytes.Buffer
	if err := report.WriteReasonsMarkdown(&table, report.Reasons()); err != nil {
		return err
	}
	out, err := mdblock.Replace(doc, "reasons", table.Bytes())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(out, doc) {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, st.Mode().Perm())
}
