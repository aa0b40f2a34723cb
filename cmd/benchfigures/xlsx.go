package main

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// xlsxMemory is figure 4 for a workbook: the peak RSS of an offline check
// of 100,000 rows from an .xlsx saved as Excel saves it (every text in the
// shared strings) to an .xlsx result.
func xlsxMemory() ([]figure, error) {
	dir, err := os.MkdirTemp("", "vicionboard-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "vicionboard")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/vicionboard").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	const n = 100_000
	in := filepath.Join(dir, "rows.xlsx")
	if err := writeRowsXLSX(in, n); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "check", in, "--out", filepath.Join(dir, "out.xlsx"), "--log-format", "json")
	cmd.Env = append(os.Environ(), "VICIDIAL_URL=")
	start := time.Now()
	peak, out, err := peakRSS(cmd)
	if err != nil {
		return nil, fmt.Errorf("check %d rows of .xlsx: %v\n%s", n, err, out)
	}
	rss := float64(peak) / 1024
	return []figure{{fmt.Sprintf("7. peak RSS, offline check of %d rows, .xlsx to .xlsx", n),
		fmt.Sprintf("%.1f MiB (%.1f s)", rss, time.Since(start).Seconds()), "< 64 MiB", rss < 64}}, nil
}

// writeRowsXLSX writes n add_user rows as a workbook laid out as Excel
// saves one: each text once in the shared strings table, the level a
// number. It streams: the sheet, then the strings, in the order the sheet
// numbered them.
func writeRowsXLSX(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rels = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	fixed := []string{"employee_id", "agent_user", "agent_pass", "agent_full_name", "agent_user_level", "agent_user_group",
		"in_groups", "notes", "Start-2026x", "AGENTS", "SALESLINE|SUPPORT"}
	rowStrings := func(i int) [4]string {
		return [4]string{fmt.Sprintf("E%d", i), fmt.Sprintf("m%07d", i), fmt.Sprintf("Agent Number %d", i), fmt.Sprintf("hired %d", i%365)}
	}
	part := func(name string, write func(w *bufio.Writer)) error {
		zf, err := zw.Create(name)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(zf, 1<<20)
		write(w)
		return w.Flush()
	}
	parts := []struct {
		name  string
		write func(w *bufio.Writer)
	}{
		{"[Content_Types].xml", func(w *bufio.Writer) {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
				`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
				`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
				`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`+
				`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
		}},
		{"_rels/.rels", func(w *bufio.Writer) {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Relationships `+rels+`><Relationship Id="rId1" Type="`+rel+`officeDocument" Target="xl/workbook.xml"/></Relationships>`)
		}},
		{"xl/workbook.xml", func(w *bufio.Writer) {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><workbook `+ns+` xmlns:r="`+rel[:len(rel)-1]+`"><sheets><sheet name="Hires" sheetId="1" r:id="rId1"/></sheets></workbook>`)
		}},
		{"xl/_rels/workbook.xml.rels", func(w *bufio.Writer) {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Relationships `+rels+`><Relationship Id="rId1" Type="`+rel+`worksheet" Target="worksheets/sheet1.xml"/>`+
				`<Relationship Id="rId2" Type="`+rel+`sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
		}},
		{"xl/worksheets/sheet1.xml", func(w *bufio.Writer) {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet `+ns+`><sheetData><row r="1">`)
			for c := range 8 {
				fmt.Fprintf(w, `<c r="%c1" t="s"><v>%d</v></c>`, 'A'+c, c)
			}
			io.WriteString(w, `</row>`)
			for i := range n {
				r, k := i+2, len(fixed)+4*i
				fmt.Fprintf(w, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" t="s"><v>%d</v></c><c r="C%d" t="s"><v>8</v></c>`+
					`<c r="D%d" t="s"><v>%d</v></c><c r="E%d"><v>1</v></c><c r="F%d" t="s"><v>9</v></c><c r="G%d" t="s"><v>10</v></c>`+
					`<c r="H%d" t="s"><v>%d</v></c></row>`, r, r, k, r, k+1, r, r, k+2, r, r, r, r, k+3)
			}
			io.WriteString(w, `</sheetData></worksheet>`)
		}},
		{"xl/sharedStrings.xml", func(w *bufio.Writer) {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><sst %s count="%d" uniqueCount="%d">`, ns, len(fixed)+4*n, len(fixed)+4*n)
			for _, s := range fixed {
				fmt.Fprintf(w, "<si><t>%s</t></si>", s)
			}
			for i := range n {
				for _, s := range rowStrings(i) {
					fmt.Fprintf(w, "<si><t>%s</t></si>", s)
				}
			}
			io.WriteString(w, `</sst>`)
		}},
	}
	for _, p := range parts {
		if err := part(p.name, p.write); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
