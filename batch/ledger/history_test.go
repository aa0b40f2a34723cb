package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

// history is a ledger with three runs on /in.csv: a finished run, a
// finished dry run, and an unfinished run; and one finished run on
// another server.
type history struct {
	db                        *ledger.DB
	first, dry, open, elsewhr batch.RunID
}

func newHistory(t *testing.T) *history {
	ctx := context.Background()
	h := &history{db: openAt(t, ledgerPath(t))}
	db := h.db

	h.first = begin(t, db, start("/in.csv", t0))
	for _, r := range []batch.RowRecord{
		{Line: 5, Key: "E3", Login: "tnguyen", Function: "add_user", Status: batch.StatusError, Code: "GROUP_NOT_FOUND", Effect: batch.EffectReleased},
		{Line: 2, Key: "E1", Login: "jsmith", Function: "add_user", Status: batch.StatusSuccess, Code: "CREATED", Effect: batch.EffectCreated, FullName: "Jane Smith"},
		{Line: 3, Key: "", Login: "jo hn", Status: batch.StatusInvalid, Code: "INVALID_INPUT"},
		{Line: 4, Key: "E2", Login: "mgarcia", Function: "copy_user", Status: batch.StatusSuccess, Code: "CREATED", Effect: batch.EffectCreated, FullName: "Maria Garcia"},
	} {
		r.Server, r.Input, r.At, r.Reason = server, "/in.csv", t0.Add(time.Second), "reason ("+r.Code+")"
		if err := db.Record(ctx, h.first, r); err != nil {
			t.Fatal(err)
		}
	}
	end := batch.RunEnd{Ended: t0.Add(time.Minute), Rows: 4, ExitCode: 1,
		Statuses: map[batch.Status]int{batch.StatusSuccess: 2, batch.StatusError: 1, batch.StatusInvalid: 1},
		Codes:    map[string]int{"CREATED": 2, "GROUP_NOT_FOUND": 1, "INVALID_INPUT": 1}}
	if err := db.FinishRun(ctx, h.first, end); err != nil {
		t.Fatal(err)
	}

	s := start("/in.csv", t0.Add(time.Hour))
	s.Command, s.DryRun = "check", true
	h.dry = begin(t, db, s)
	record(t, db, h.dry, batch.RowRecord{Line: 2, Key: "E1", Login: "JSMITH", Status: batch.StatusWouldFail,
		Code: "USER_EXISTS", Server: server, Input: "/in.csv", At: t0.Add(time.Hour)})
	if err := db.FinishRun(ctx, h.dry, batch.RunEnd{Ended: t0.Add(time.Hour), Rows: 1}); err != nil {
		t.Fatal(err)
	}

	h.open = begin(t, db, start("/in.csv", t0.Add(2*time.Hour)))
	claimOne(t, db, h.open, claim("E9", "jsmith"))
	record(t, db, h.open, batch.RowRecord{Line: 7, Key: "E9", Login: "jsmith", Status: batch.StatusError,
		Code: "USER_EXISTS", Server: server, Input: "/in.csv", At: t0.Add(2 * time.Hour), Effect: batch.EffectNone})

	o := start("/in.csv", t0.Add(3*time.Hour))
	o.Server = "https://other.example.com/vicidial/non_agent_api.php"
	h.elsewhr = begin(t, db, o)
	record(t, db, h.elsewhr, batch.RowRecord{Line: 2, Key: "E1", Login: "jsmith", Status: batch.StatusSuccess,
		Code: "CREATED", Server: o.Server, Input: "/in.csv", At: t0.Add(3 * time.Hour), Effect: batch.EffectCreated})
	if err := db.FinishRun(ctx, h.elsewhr, batch.RunEnd{Ended: t0.Add(3 * time.Hour), Rows: 1}); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRuns(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	runs, err := h.db.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []batch.RunID
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	if want := []batch.RunID{h.elsewhr, h.open, h.dry, h.first}; !cmp.Equal(ids, want) {
		t.Errorf("Runs = %v, want newest first %v", ids, want)
	}
	if runs[1].End.Ended.IsZero() != true || runs[0].End.Ended.IsZero() {
		t.Errorf("unfinished run's end %v, finished run's %v", runs[1].End.Ended, runs[0].End.Ended)
	}
	if two, _ := h.db.Runs(ctx, 2); len(two) != 2 || two[0].ID != h.elsewhr {
		t.Errorf("Runs(2) = %v", two)
	}

	got, ok, err := h.db.Run(ctx, h.first)
	if err != nil || !ok {
		t.Fatalf("Run = %v, %v", ok, err)
	}
	first := start("/in.csv", t0)
	first.Feed = "/in.csv" // a run given no feed is its input's
	want := batch.RunSummary{ID: h.first, Start: first,
		End: batch.RunEnd{Ended: t0.Add(time.Minute), Rows: 4, ExitCode: 1,
			Statuses: map[batch.Status]int{batch.StatusSuccess: 2, batch.StatusError: 1, batch.StatusInvalid: 1},
			Codes:    map[string]int{"CREATED": 2, "GROUP_NOT_FOUND": 1, "INVALID_INPUT": 1}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run (-want +got):\n%s", diff)
	}
	if _, ok, err := h.db.Run(ctx, "20200101T000000Z-000000"); ok || err != nil {
		t.Errorf("Run of an unknown id: %v, %v", ok, err)
	}
}

func TestRunRowsInLineOrder(t *testing.T) {
	h := newHistory(t)
	rows, err := h.db.RunRows(context.Background(), h.first)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range rows {
		lines = append(lines, r.Line)
	}
	if want := []int{2, 3, 4, 5}; !cmp.Equal(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
	want := ledger.Outcome{Run: h.first, Line: 2, Key: "E1", Login: "jsmith", Function: "add_user",
		Status: batch.StatusSuccess, Code: "CREATED", Reason: "reason (CREATED)", At: t0.Add(time.Second)}
	if diff := cmp.Diff(want, rows[0]); diff != "" {
		t.Errorf("first row (-want +got):\n%s", diff)
	}
}

func TestLastRunAndKnown(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	last, ok, err := h.db.LastRun(ctx, server, "/in.csv")
	if err != nil || !ok || last.ID != h.first {
		t.Errorf("LastRun = %s, %v, %v; want %s (the dry run and the unfinished run do not count)", last.ID, ok, err, h.first)
	}
	if _, ok, err := h.db.LastRun(ctx, server, "/other.csv"); ok || err != nil {
		t.Errorf("LastRun of another input: %v, %v", ok, err)
	}
	for _, c := range []struct {
		server, input string
		want          int
	}{
		{server, "/in.csv", 2},
		{server, "/other.csv", 0},
		{"https://other.example.com/vicidial/non_agent_api.php", "/in.csv", 1},
	} {
		if n, err := h.db.Known(ctx, c.server, c.input); err != nil || n != c.want {
			t.Errorf("Known(%s, %s) = %d, %v; want %d", c.server, c.input, n, err, c.want)
		}
	}
}

func TestStory(t *testing.T) {
	h := newHistory(t)
	type ev struct {
		Run  batch.RunID
		Line int
	}
	for _, c := range []struct {
		name    string
		q       ledger.StoryQuery
		persons []string // server/key
		events  []ev
	}{
		{"by key", ledger.StoryQuery{Server: server, Key: "E1"},
			[]string{server + "/E1"},
			// E1's own rows, and E9's, whose login jsmith is E1's.
			[]ev{{h.first, 2}, {h.dry, 2}, {h.open, 7}}},
		{"by login, any case", ledger.StoryQuery{Server: server, Login: "JSmith"},
			[]string{server + "/E1", server + "/E9"},
			[]ev{{h.first, 2}, {h.dry, 2}, {h.open, 7}}},
		{"every server", ledger.StoryQuery{Key: "E1"},
			[]string{server + "/E1", "https://other.example.com/vicidial/non_agent_api.php/E1"},
			[]ev{{h.first, 2}, {h.dry, 2}, {h.open, 7}, {h.elsewhr, 2}}},
		{"released person: outcomes only", ledger.StoryQuery{Server: server, Key: "E3"},
			nil, []ev{{h.first, 5}}},
		{"nobody", ledger.StoryQuery{Server: server, Login: "nobody"}, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := h.db.Story(context.Background(), c.q)
			if err != nil {
				t.Fatal(err)
			}
			var persons []string
			for _, p := range st.Persons {
				persons = append(persons, p.Server+"/"+p.Key)
			}
			var events []ev
			for _, e := range st.Events {
				events = append(events, ev{e.Run, e.Line})
			}
			if diff := cmp.Diff(c.persons, persons); diff != "" {
				t.Errorf("persons (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.events, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}

	st, _ := h.db.Story(context.Background(), ledger.StoryQuery{Server: server, Key: "E9"})
	if len(st.Persons) != 1 || !st.Persons[0].Live {
		t.Errorf("E9 in flight in the open run: %+v, want live", st.Persons)
	}
	for _, e := range st.Events {
		if e.Run == h.dry && (!e.DryRun || e.Command != "check" || !e.Started.Equal(t0.Add(time.Hour))) {
			t.Errorf("dry run's event %+v: want its command, dry run and start", e)
		}
	}
	if _, err := h.db.Story(context.Background(), ledger.StoryQuery{Server: server}); err == nil {
		t.Error("Story without key or login: no error")
	}
}
