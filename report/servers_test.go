package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/report"
)

// serverOutcomes gives sampleRows' outcomes the servers of a job with
// several: the carried row names its earlier result file's server, one
// row was sent to none.
func serverOutcomes() ([]string, []batch.Row, []batch.Outcome) {
	cols, rows, outs := sampleRows()
	outs[0].Server, outs[1].Server, outs[3].Server = "leeds", "york", "york"
	outs[3].Carried.Server = "leeds" // carried over from a night it was made on leeds
	return cols, rows, outs
}

// TestWriterServers: a job with several servers gets result_server after
// the other result columns, each row's server (a carried row's as its
// earlier result file says), empty for a row sent to none.
func TestWriterServers(t *testing.T) {
	cols, rows, outs := serverOutcomes()
	var buf bytes.Buffer
	w, err := report.NewWriter(&buf, cols, report.Options{Servers: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.Write(rows[i], outs[i]); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "result_servers.golden.csv", buf.Bytes())
}

// TestSummaryPerServer: the summary counts each server's rows, lists every
// server of the job (one with no row too), then the rows sent to none; the
// HTML report has a server column and the counts per server. A summary
// not told of servers shows neither.
func TestSummaryPerServer(t *testing.T) {
	_, rows, outs := serverOutcomes()
	s := report.NewSummary(nil)
	s.PerServer([]string{"york", "leeds", "hull"})
	plain := report.NewSummary(nil)
	for i := range rows {
		for _, sum := range []*report.Summary{s, plain} {
			if err := sum.Write(rows[i], outs[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	d := s.Data()
	got := []string{}
	for _, c := range d.Servers {
		got = append(got, c.Shown())
	}
	if strings.Join(got, ",") != "york,leeds,hull,(none)" {
		t.Errorf("servers %v, want york, leeds, hull, (none)", got)
	}
	var buf bytes.Buffer
	if err := s.Print(&buf, "vicionboard run", ""); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"by server:\n", "  york   1 row: UNKNOWN 1\n", "  leeds  2 rows: SUCCESS 2\n", "  hull   0 rows\n", "  (none) 1 row: INVALID 1\n"} {
		if !strings.Contains(buf.String(), line) {
			t.Errorf("summary lacks %q:\n%s", line, buf.String())
		}
	}
	var page bytes.Buffer
	if err := report.WriteHTML(&page, d, htmlPage); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<table class="servers" aria-label="rows per server">`,
		`<tr><td class="server">leeds</td><td class="num">2</td><td><span class="status ok">SUCCESS</span> 2</td></tr>`,
		`<th scope="col">login</th><th scope="col">server</th>`, `<code>jsmith</code></td><td class="server">leeds</td>`,
		`<code>old1</code></td><td class="server">leeds</td>`} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the report lacks %s", want)
		}
	}

	buf.Reset()
	if err := plain.Print(&buf, "vicionboard run", ""); err != nil {
		t.Fatal(err)
	}
	page.Reset()
	if err := report.WriteHTML(&page, plain.Data(), htmlPage); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "by server") || strings.Contains(page.String(), `class="server"`) || strings.Contains(page.String(), `>server<`) || plain.Data().Servers != nil {
		t.Errorf("a summary of one server shows servers:\n%s", buf.String())
	}
}
