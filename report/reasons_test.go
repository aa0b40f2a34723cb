package report_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/report/internal/mdblock"
	"github.com/vicionboard/vicionboard/vicidial"
)

// rowCodes is every code a row can get, named explicitly so that a renamed
// constant breaks the build of this test.
var rowCodes = []string{
	batch.CodeInvalidInput, batch.CodeDuplicateLogin, batch.CodeNotAttempted, batch.CodeOutcomeUnknown,
	batch.CodeTransport, batch.CodeNotCreated, batch.CodeCarriedOver, batch.CodeCreated,
	batch.CodeAlreadyExists, batch.CodeVerifiedAfterErr, batch.CodeInterrupted, batch.CodeValid,
	batch.CodeAlreadyCreated, batch.CodeExistsChanged, batch.CodeDuplicateKey, batch.CodeClaimedElsewhere, batch.CodeLoginTaken,
	batch.CodeUpdated, batch.CodeUnchanged, batch.CodeDeactivated, batch.CodeReactivated, batch.CodeInactive, string(vicidial.ReasonInvalidField), string(vicidial.ReasonUpdateNotPermitted),
	string(vicidial.ReasonUserExists), string(vicidial.ReasonGroupNotFound), string(vicidial.ReasonTemplateNotFound),
	string(vicidial.ReasonLevelNotPermitted), string(vicidial.ReasonNoPermission), string(vicidial.ReasonFunctionNotAllowed),
	string(vicidial.ReasonMissingFields), string(vicidial.ReasonLoginIncorrect), string(vicidial.ReasonLockedOut),
	string(vicidial.ReasonInvalidSource), string(vicidial.ReasonNoFunction), string(vicidial.ReasonUserNotFound),
	string(vicidial.ReasonNoUpdates), string(vicidial.ReasonInvalidGroup), string(vicidial.ReasonInvalidPhoneLogin),
	string(vicidial.ReasonUnrecognisedError),
	batch.CodeLeaverHeld, batch.CodeKeyConflict, batch.CodeOwnAccountFound, batch.CodeAdopted, batch.CodeIdentityChanged,
	batch.CodeAboveMaxLevel, batch.CodeLevelRaiseHeld, batch.CodeServerMove,
	string(vicidial.ReasonPhoneNoPermission), string(vicidial.ReasonPhoneMissingFields), string(vicidial.ReasonServerNotFound),
	string(vicidial.ReasonPhoneExists), string(vicidial.ReasonPhoneLoginExists), string(vicidial.ReasonInvalidTimezone),
	string(vicidial.ReasonPhoneTemplateNotFound), string(vicidial.ReasonPhoneNotFound), string(vicidial.ReasonPhoneInvalidField),
	string(vicidial.ReasonPhoneAliasExists), string(vicidial.ReasonPhoneAliasNotFound), string(vicidial.ReasonPhoneLoginNotFound),
	batch.CodePhoneInvalid, batch.CodeDuplicateExtension, batch.CodeExtensionTaken, batch.CodeNoFreeExtension,
}

// declaredCodes parses the non-test Go files of dir and returns the string
// value of every constant that keep accepts (by name and declared type).
func declaredCodes(t *testing.T, dir string, keep func(name, typ string) bool) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, path := range matches {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				typ := ""
				if id, ok := vs.Type.(*ast.Ident); ok {
					typ = id.Name
				}
				for i, name := range vs.Names {
					if i >= len(vs.Values) || !keep(name.Name, typ) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					found[name.Name] = v
				}
			}
		}
	}
	return found
}

// TestReasonTableCoversEveryCode fails when batch or vicidial has a code
// the table does not explain: each Code* constant of batch and each
// constant of type vicidial.Reason, found by reading their source, and
// the codes named in rowCodes.
func TestReasonTableCoversEveryCode(t *testing.T) {
	batchCodes := declaredCodes(t, "../batch", func(name, _ string) bool { return strings.HasPrefix(name, "Code") })
	apiReasons := declaredCodes(t, "../vicidial", func(_, typ string) bool { return typ == "Reason" })
	if len(batchCodes) < 12 || len(apiReasons) < 16 {
		t.Fatalf("found %d batch codes and %d API reasons; the source scan is broken", len(batchCodes), len(apiReasons))
	}
	check := func(where, code string) {
		r, ok := report.ReasonFor(code)
		if !ok {
			t.Errorf("%s: code %s is not in report's reason table (report/reasons.go); add it, then go generate ./report", where, code)
			return
		}
		if r.Meaning == "" || r.Fix == "" {
			t.Errorf("%s: code %s has no meaning or no fix", where, code)
		}
	}
	for name, code := range batchCodes {
		check("batch."+name, code)
	}
	for name, code := range apiReasons {
		check("vicidial."+name, code)
	}
	for _, code := range rowCodes {
		check("rowCodes", code)
	}
	// And nothing in the table that no code produces.
	known := map[string]bool{}
	for _, c := range rowCodes {
		known[c] = true
	}
	for _, r := range report.Reasons() {
		if !known[r.Code] {
			t.Errorf("the table explains %s, which is not a row code (add it to rowCodes if it is new)", r.Code)
		}
	}
}

// TestReadmeReasonTable fails when README.md's generated table differs
// from the reason table.
func TestReadmeReasonTable(t *testing.T) {
	doc, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got, err := mdblock.Extract(doc, "reasons")
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	var want bytes.Buffer
	if err := report.WriteReasonsMarkdown(&want, report.Reasons()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("README.md's reason table is out of date: run go generate ./report\n--- README\n%s\n--- table\n%s", got, want.Bytes())
	}
}

func TestReasonsMarkdown(t *testing.T) {
	var buf bytes.Buffer
	rs := []report.Reason{{Code: "A_B", Meaning: "one | two", Fix: "Nothing."}}
	if err := report.WriteReasonsMarkdown(&buf, rs); err != nil {
		t.Fatal(err)
	}
	want := "| code | meaning | what to do |\n|---|---|---|\n| `A_B` | one \\| two | Nothing. |\n"
	if buf.String() != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestReasonsTableWraps(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteReasonsTable(&buf, report.Reasons(), 100); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for i, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 100 {
			t.Errorf("line %d is %d characters wide, want at most 100: %q", i+1, n, line)
		}
	}
	for _, r := range report.Reasons() {
		if !strings.Contains(out, "\n"+r.Code+" ") && !strings.HasPrefix(out, r.Code+" ") {
			t.Errorf("table has no line starting with %s", r.Code)
		}
	}
	gf, _ := report.ReasonFor(string(vicidial.ReasonGroupNotFound))
	if first := strings.Fields(gf.Fix)[0]; !strings.Contains(out, "fix:     "+first) {
		t.Errorf("table does not show the fix of GROUP_NOT_FOUND")
	}
}

func TestReasonForUnknown(t *testing.T) {
	if _, ok := report.ReasonFor("NO_SUCH_CODE"); ok {
		t.Error("ReasonFor found a code that does not exist")
	}
}
