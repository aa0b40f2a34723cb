package batch_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// TestSurveyCountsAsTheRunDecides: the planning pass counts new, known and
// changed rows from the ledger; copies whose own values failed (pending)
// are not HR's changes, and do not trip the mass-change safeguard.
func TestSurveyCountsAsTheRunDecides(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	client := newClient(t, srv, "6666", "1234", nopLogger())
	var b strings.Builder
	b.WriteString("employee_id,agent_user,agent_pass,agent_full_name,template,phone_login,agent_user_level,agent_user_group\n")
	for i := 0; i < 12; i++ {
		phone := ""
		if i < 10 {
			phone = "nophone" // the update after the copy fails
		}
		fmt.Fprintf(&b, "E%d,surv%d,Start-2026,Survey Agent%d,5555,%s,,\n", i, i, i, phone)
	}
	csv := b.String()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openLedger(t, path)
	keys, err := batch.NewKeyer(reader(t, csv).Columns(), "employee_id")
	if err != nil {
		t.Fatal(err)
	}
	sink := &captureSink{}
	if err := batch.Run(context.Background(), reader(t, csv), sink, l.config(batch.Config{Accounts: client, APIUser: "6666", Keys: keys})); err != nil {
		t.Fatal(err)
	}
	if got := sink.rows[0].Out; got.Status != batch.StatusError || got.Login != "surv0" {
		t.Fatalf("a copy whose update failed: %s %q (login %q)", got.Status, got.Reason, got.Login)
	}
	keys, _ = batch.NewKeyer(reader(t, csv).Columns(), "employee_id")
	s, err := survey(reader(t, csv), batch.Config{Ledger: l.db, Server: "sim", Input: "in.csv", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 12 || s.Known != 12 || s.New != 0 || s.Changed != 0 {
		t.Errorf("survey %+v, want 12 rows, 12 known, none new, none changed", s)
	}
	if tripped := batch.DefaultSafeguards().Check(s, nil, 12); tripped != nil {
		t.Errorf("safeguards tripped: %v", tripped)
	}
	// An HR change of one known person's row is counted.
	changed := strings.Replace(csv, "E11,surv11,Start-2026,Survey Agent11,5555,,,", "E11,surv11,Start-2026,Survey Agent11,5555,,,SALES", 1)
	keys, _ = batch.NewKeyer(reader(t, changed).Columns(), "employee_id")
	if s, err = survey(reader(t, changed), batch.Config{Ledger: l.db, Server: "sim", Input: "in.csv", Keys: keys}); err != nil || s.Changed != 1 {
		t.Errorf("survey after an HR change: %+v %v, want 1 changed", s, err)
	}
}

// survey runs the planning pass over in: the pipeline in ModeSurvey.
func survey(in batch.Source, cfg batch.Config) (batch.Survey, error) {
	s := batch.NewSurvey(false)
	cfg.Mode = batch.ModeSurvey
	err := batch.Run(context.Background(), in, s, cfg)
	return *s, err
}
