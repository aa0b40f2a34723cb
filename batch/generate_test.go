package batch_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/batch/mapping"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// staleLedger answers LoginHolder as if no record held any login: the view
// of a run that chose a login just before another run claimed it.
type staleLedger struct{ *ledger.DB }

func (staleLedger) LoginHolder(context.Context, string, string) (string, bool, error) {
	return "", false, nil
}

// mappedReader reads csv through the mapping text.
func mappedReader(t *testing.T, csv, mapText string) *batch.Reader {
	t.Helper()
	m, err := mapping.Parse([]byte(mapText), "map.yaml", batch.FieldNames())
	if err != nil {
		t.Fatal(err)
	}
	r, err := batch.NewReaderOptions(strings.NewReader(csv), "hr.csv", batch.ReaderOptions{Map: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

const generatingMap = `key: Employee ID
agent_full_name: "{First Name} {Last Name}"
agent_user: {generate: "{f}{last}"}
agent_user_level: 1
agent_user_group: {value: AGENTS}
`

// TestGeneratedLoginTakenMeanwhile: a generated login that another run
// claimed for another person after this run chose it is not sent: the
// ledger refuses the claim, and the row says the next run chooses again.
func TestGeneratedLoginTakenMeanwhile(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	path := filepath.Join(t.TempDir(), "ledger.db")
	other := openLedger(t, path)
	if res, err := other.db.Claim(context.Background(), other.id, []batch.Claim{{Server: "sim", Key: "key:OTHER",
		Login: "jsmith", FullName: "Joan Smith", Input: "other.csv", Line: 2}}); err != nil || !res[0].Granted {
		t.Fatalf("the other run's claim: %v %+v", err, res)
	}
	mine := openLedger(t, path)
	sink := &captureSink{}
	cfg := mine.config(batch.Config{Accounts: newClient(t, srv, "6666", "1234", nopLogger()), APIUser: "6666",
		Now: func() time.Time { return time.Unix(0, 0) }})
	cfg.Ledger = staleLedger{mine.db}
	keys, err := batch.NewKeyer([]string{"Employee ID", "First Name", "Last Name"}, "Employee ID")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Keys = keys
	cfg.Generate.Password = func(string) string { return "Derived-Pass-1" }
	in := mappedReader(t, "Employee ID,First Name,Last Name\nE1,John,Smith\n", generatingMap)
	if err := batch.Run(context.Background(), in, sink, cfg); err != nil {
		t.Fatal(err)
	}
	out := sink.byLine(t, 2)
	if out.Status != batch.StatusError || out.Code != batch.CodeLoginTaken || out.Password != "" {
		t.Errorf("outcome %+v; want ERROR %s and no password", out, batch.CodeLoginTaken)
	}
	if n := countFunctions(srv)["add_user"]; n != 0 {
		t.Errorf("%d add_user sent", n)
	}
}

// TestGeneratedValuesInTheOutcome: a row's generated login is the pattern's,
// its generated password is the outcome's (for the result file) and the
// one the server holds; a row whose name VICIdial keeps nothing of is
// INVALID and names every problem.
func TestGeneratedValuesInTheOutcome(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	l := openLedger(t, filepath.Join(t.TempDir(), "ledger.db"))
	sink := &captureSink{}
	cfg := l.config(batch.Config{Accounts: newClient(t, srv, "6666", "1234", nopLogger()), APIUser: "6666"})
	keys, err := batch.NewKeyer([]string{"Employee ID", "First Name", "Last Name"}, "Employee ID")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Keys = keys
	cfg.Generate.Password = func(key string) string { return "Pw-" + strings.TrimPrefix(key, "key:") + "-x" }
	in := mappedReader(t, "Employee ID,First Name,Last Name\nE1,Zoë,Smith\nE2,雷,李\n", generatingMap)
	if err := batch.Run(context.Background(), in, sink, cfg); err != nil {
		t.Fatal(err)
	}
	if out := sink.byLine(t, 2); out.Status != batch.StatusSuccess || out.Login != "zsmith" || out.Password != "Pw-E1-x" {
		t.Errorf("E1: %+v; want SUCCESS zsmith with password Pw-E1-x", out)
	}
	if a, ok := srv.Sim.Account("zsmith"); !ok || a.Pass != "Pw-E1-x" {
		t.Errorf("the server's zsmith: %+v %v", a, ok)
	}
	out := sink.byLine(t, 3)
	if out.Status != batch.StatusInvalid || !strings.Contains(out.Reason, "agent_user: no login can be generated") ||
		!strings.Contains(out.Reason, "agent_full_name:") || out.Password != "" {
		t.Errorf("E2: %+v; want INVALID naming the login and the full name", out)
	}
}
