package batch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial"
)

// serverInGroups is the default simulator's ingroup_list, in page order.
var serverInGroups = []string{"SALESLINE", "SUPPORT", "BILLING"}

// problemsOf returns the messages of err's problems, "column: msg" each.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var vErr *batch.ValidationError
	if !errors.As(err, &vErr) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	var out []string
	for _, p := range vErr.Problems {
		out = append(out, p.Column+": "+p.Msg)
	}
	return out
}

func TestPrepareInGroupsAgainstServer(t *testing.T) {
	many := make([]string, 14)
	for i := range many {
		many[i] = fmt.Sprintf("Q%02d", i+1)
	}
	tests := []struct {
		name     string
		inGroups string   // the row's in_groups
		server   []string // Options.InGroups
		want     []string // the problems, "" = none
	}{
		{"known", "SALESLINE|SUPPORT", serverInGroups, nil},
		{"known in another case", "salesline|Support", serverInGroups, nil},
		{"unknown list: not checked", "NOSUCHGROUP", nil, nil},
		{"one typo", "SALESLINE|SALESLNE", serverInGroups, []string{
			`in_groups: "SALESLNE" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING; closest: SALESLINE)`}},
		{"typo in another case", "suport", serverInGroups, []string{
			`in_groups: "suport" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING; closest: SUPPORT)`}},
		{"prefix", "BILL", serverInGroups, []string{
			`in_groups: "BILL" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING; closest: BILLING)`}},
		{"longer than a name", "SUPPORT_EU", serverInGroups, []string{
			`in_groups: "SUPPORT_EU" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING; closest: SUPPORT)`}},
		{"none close", "MARKETING", serverInGroups, []string{
			`in_groups: "MARKETING" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING)`}},
		{"two letters are not close to two others", "XY", []string{"AB", "SALESLINE"}, []string{
			`in_groups: "XY" is not an in-group on the server (it has AB, SALESLINE)`}},
		{"server without in-groups", "SALESLINE", []string{}, []string{
			`in_groups: "SALESLINE" is not an in-group on the server (it has none)`}},
		{"at most ten listed", "Q1", many, []string{
			`in_groups: "Q1" is not an in-group on the server (it has Q01, Q02, Q03, Q04, Q05, Q06, Q07, Q08, Q09, Q10 and 4 more; closest: Q01)`}},
		{"repeated unknown once", "MARKETING|marketing|SUPPORT", serverInGroups, []string{
			`in_groups: "MARKETING" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING)`}},
		{"many unknown: three quoted", "A1|A2|A3|A4|A5", serverInGroups, []string{
			`in_groups: "A1" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING)`,
			`in_groups: "A2" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING)`,
			`in_groups: "A3" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING)`,
			`in_groups: and 2 more that are not in-groups on the server`}},
		{"malformed IDs are not also looked up", "SUP PORT!", serverInGroups, []string{
			`in_groups: "PORT!" is not an in-group ID (letters, digits, - and _; separate IDs with |)`,
			`in_groups: "SUP" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING; closest: SUPPORT)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := addRow()
			f.InGroups = tt.inGroups
			plan, err := batch.Prepare(f, batch.Options{InGroups: tt.server})
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if err == nil && plan.Add.InGroups == nil {
				t.Errorf("plan without its in-groups: %+v", plan.Add)
			}
		})
	}
}

// TestPrepareInGroupsLongCell: a cell of many in-group IDs is checked in
// time linear in its size, and quoted short.
func TestPrepareInGroupsLongCell(t *testing.T) {
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("G%d", i)
	}
	f := addRow()
	f.InGroups = strings.Join(ids, "|")
	_, err := batch.Prepare(f, batch.Options{InGroups: serverInGroups})
	if err == nil || len(err.Error()) > 1024 || !strings.Contains(err.Error(), "and 99997 more that are not in-groups on the server") {
		t.Errorf("error %.400v", err)
	}
}

// The rule of "?" (see cells.LostLetters): a run of "?" between letters
// always counts as lost characters; in a name also one touching a letter
// on one side, or a word of two or more "?"; so does any U+FFFD. A full
// name with lost characters is INVALID (a login made of it would be
// wrong for good); a custom field's is a warning. Elsewhere a "?" is only
// deleted, as any character VICIdial does not keep.
func TestPrepareQuestionMarks(t *testing.T) {
	const fix = `has "?" where a letter should be: the export lost characters it could not encode; export as "CSV UTF-8" or .xlsx`
	tests := []struct {
		name     string
		edit     func(*batch.Fields)
		problem  string // the exact problem wanted; "" = valid
		lost     string // the column whose "?" warning is wanted; "" = none
		cleaning string // a cleaning warning that must be given
	}{
		{"name with letters lost", func(f *batch.Fields) { f.FullName = "Jos? Garc?a" },
			`agent_full_name: "Jos? Garc?a" ` + fix, "", ""},
		{"name: end of a word", func(f *batch.Fields) { f.FullName = "Jos? Smith" }, `agent_full_name: "Jos? Smith" ` + fix, "", ""},
		{"name: start of a word", func(f *batch.Fields) { f.FullName = "?lvaro Smith" }, `agent_full_name: "?lvaro Smith" ` + fix, "", ""},
		{"name: two characters lost", func(f *batch.Fields) { f.FullName = "Jos?? Garc??a" }, `agent_full_name: "Jos?? Garc??a" ` + fix, "", ""},
		{"name: a word of ?", func(f *batch.Fields) { f.FullName = "Li ??" }, `agent_full_name: "Li ??" ` + fix, "", ""},
		{"name of ? only", func(f *batch.Fields) { f.FullName = "?? ???" }, `agent_full_name: "?? ???" ` + fix, "", ""},
		{"name: replacement character", func(f *batch.Fields) { f.FullName = "Zo\uFFFD Adams" },
			"agent_full_name: \"Zo\uFFFD Adams\" has \"\uFFFD\" (U+FFFD, the replacement character) where a letter should be: the export lost characters it could not encode; export as \"CSV UTF-8\" or .xlsx", "", ""},
		{"name: a lone ? between spaces", func(f *batch.Fields) { f.FullName = "Jane ? Smith" }, "", "",
			`agent_full_name cleaned: "Jane ? Smith" -> "Jane Smith"`},
		{"name: ? beside a digit", func(f *batch.Fields) { f.FullName = "Agent 7?" }, "", "", ""},
		{"custom between letters", func(f *batch.Fields) { f.CustomOne = "Team Garc?a" }, "", "custom_one", ""},
		{"custom: replacement character", func(f *batch.Fields) { f.CustomOne = "M\uFFFDnchen" }, "", "custom_one", ""},
		{"custom: trailing question", func(f *batch.Fields) { f.CustomTwo = "Night shift?" }, "", "",
			`custom_two cleaned: "Night shift?" -> "Night shift"`},
		{"custom: question inside", func(f *batch.Fields) { f.CustomThree = "Remote? Yes" }, "", "", ""},
		{"custom: start of a word", func(f *batch.Fields) { f.CustomFour = "?lvaro" }, "", "", ""},
		{"login with letters lost", func(f *batch.Fields) { f.Login = "jm?ller" }, `agent_user: "jm?ller" ` + fix, "", ""},
		{"accented name is no loss", func(f *batch.Fields) { f.FullName = "José García" }, "", "",
			`agent_full_name cleaned: "José García" -> "Jose Garcia"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := addRow()
			tt.edit(&f)
			plan, err := batch.Prepare(f, batch.Options{})
			if tt.problem != "" {
				if diff := cmp.Diff([]string{tt.problem}, problemsOf(t, err)); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				if len(plan.Warnings) > 0 {
					t.Errorf("a refused name is also warned about: %q", plan.Warnings)
				}
				return
			}
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			var lost []string
			for _, w := range plan.Warnings {
				if strings.Contains(w, "where a letter should be") {
					lost = append(lost, w)
				}
			}
			switch {
			case tt.lost == "" && len(lost) > 0:
				t.Errorf("warnings %q, want no \"?\" warning", lost)
			case tt.lost != "" && (len(lost) != 1 || !strings.HasPrefix(lost[0], tt.lost+" ") ||
				!strings.HasSuffix(lost[0], `export as "CSV UTF-8" or .xlsx`)):
				t.Errorf("warnings %q, want one for %s ending %q", plan.Warnings, tt.lost, fix)
			}
			if tt.cleaning != "" && !strings.Contains(strings.Join(plan.Warnings, "\n"), tt.cleaning) {
				t.Errorf("warnings %q, want %q", plan.Warnings, tt.cleaning)
			}
		})
	}

	t.Run("exact warning", func(t *testing.T) {
		f := addRow()
		f.CustomOne = "Garc?a"
		plan, _ := batch.Prepare(f, batch.Options{})
		want := []string{
			`custom_one "Garc?a" ` + fix,
			`custom_one cleaned: "Garc?a" -> "Garca"`,
		}
		if diff := cmp.Diff(want, plan.Warnings); diff != "" {
			t.Errorf("warnings (-want +got):\n%s", diff)
		}
	})
	t.Run("strict", func(t *testing.T) {
		f := addRow()
		f.FullName, f.CustomOne, f.CustomTwo = "Jos? Garc?a", "Night shift?", "Garc?a"
		_, err := batch.Prepare(f, batch.Options{Strict: true})
		want := []string{
			`agent_full_name: "Jos? Garc?a" ` + fix,
			`custom_one: "Night shift?" has characters VICIdial would delete or change (it would store "Night shift")`,
			`custom_two: "Garc?a" ` + fix,
		}
		if diff := cmp.Diff(want, problemsOf(t, err)); diff != "" {
			t.Errorf("problems (-want +got):\n%s", diff)
		}
	})
}

func TestPrepareNothingKept(t *testing.T) {
	const romanise = `has nothing VICIdial would keep: VICIdial keeps only Latin letters, digits and - +.:/@_ in names; ` +
		`give a romanised name, or map a preferred-name column (in --map: agent_full_name: "{Preferred Name|First Name} {Last Name}")`
	tests := []struct {
		name string
		want string
	}{
		{"李雷", `agent_full_name: "李雷" ` + romanise},
		{"محمد", `agent_full_name: "محمد" ` + romanise},
		{"Иван Петров", `agent_full_name: "Иван Петров" ` + romanise},
		{"!!!", `agent_full_name: "!!!" ` + romanise},
		{"Ｊose", ""}, // fullwidth: NFKC makes it Jose
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := addRow()
			f.FullName = tt.name
			_, err := batch.Prepare(f, batch.Options{})
			if tt.want == "" {
				if err != nil {
					t.Errorf("Prepare: %v", err)
				}
				return
			}
			if diff := cmp.Diff([]string{tt.want}, problemsOf(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// lister is an Accounts that lists in-groups, or fails to.
type lister struct {
	batch.Accounts
	ids []string
	err error
}

func (l lister) InGroups(context.Context) ([]string, error) { return l.ids, l.err }

func TestFetchInGroups(t *testing.T) {
	notAllowed := &vicidial.APIError{Function: "auth", Reason: vicidial.ReasonFunctionNotAllowed,
		Message: "USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION", Data: []string{"6666", "ingroup_list"}}
	tests := []struct {
		name     string
		accounts any
		want     []string
		warning  string // in the log; "" = nothing logged at warn level
	}{
		{"no lister", struct{ batch.Accounts }{}, nil, ""},
		{"nil", nil, nil, ""},
		{"listed", lister{ids: serverInGroups}, serverInGroups, ""},
		{"none listed", lister{ids: nil}, nil, "names none"},
		{"an empty list", lister{ids: []string{}}, nil, "names none"},
		{"not allowed", lister{err: notAllowed}, nil, "the API user may not list in-groups (ingroup_list)"},
		{"failed", lister{err: &vicidial.ResponseError{Kind: vicidial.KindHTTPStatus, Status: 500}}, nil, "could not list the server's in-groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf, log := logBuffer()
			got := batch.FetchInGroups(context.Background(), tt.accounts, log)
			if diff := cmp.Diff(tt.want, got); diff != "" || (tt.want != nil) != (got != nil) {
				t.Errorf("FetchInGroups = %#v, want %#v", got, tt.want)
			}
			warns := strings.Count(buf.String(), `"level":"warn"`)
			switch {
			case tt.warning == "" && warns != 0:
				t.Errorf("log %s, want no warning", buf)
			case tt.warning != "" && (warns != 1 || !strings.Contains(buf.String(), tt.warning)):
				t.Errorf("log %s, want one warning %q", buf, tt.warning)
			}
		})
	}
}
