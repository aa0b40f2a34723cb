package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
)

// TestTemplate: vicionboard template writes a starter input in the format
// its extension names, which check finds VALID and run creates as it is
// against the simulator; it never writes over a file.
func TestTemplate(t *testing.T) {
	for _, ext := range []string{".xlsx", ".csv"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "new_hires"+ext)
			res := invoke(t, nil, "template", path)
			if res.code != exitOK {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("template file: %v (mode %v)", err, fi)
			}
			if ext == ".csv" {
				for _, c := range templateColumns {
					if !strings.Contains(res.stdout, "\n"+c.name+" ") {
						t.Errorf("stdout does not explain %s:\n%s", c.name, res.stdout)
					}
				}
			} else if !strings.Contains(res.stdout, `the sheet "Columns" explains each column`) {
				t.Errorf("stdout: %s", res.stdout)
			}

			// The reader takes it as it is: every column known, every row valid.
			in, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			r, err := input.NewReader(in, path)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range templateColumns {
				names = append(names, c.name)
			}
			if !reflect.DeepEqual(r.Columns(), names) {
				t.Errorf("columns %v, want %v", r.Columns(), names)
			}
			r.Close()
			in.Close()
			env, srv := simEnv(t, "1234")
			if res := invoke(t, map[string]string{"XDG_STATE_HOME": env["XDG_STATE_HOME"]}, "check", path, "--log-format", "json"); res.code != exitOK {
				t.Errorf("offline check of the template: exit %d\n%s", res.code, res.stderr)
			}
			if res := invoke(t, env, "run", path, "--rate", "0", "--log-format", "json"); res.code != exitOK {
				t.Errorf("run of the template against the simulator: exit %d\n%s", res.code, res.stderr)
			}
			copies, phone := 0, ""
			for _, req := range srv.Sim.Requests() {
				switch {
				case req.Function == "copy_user" && req.Params.Get("source_user") == "5555":
					copies++
				case req.Function == "add_user" && req.Params.Get("agent_user") == "rroe":
					phone = req.Params.Get("phone_login")
				}
			}
			if copies != 2 || phone != "0123" {
				t.Errorf("%d copies of 5555 and phone_login %q sent, want 2 and 0123", copies, phone)
			}

			// Never overwritten.
			before, _ := os.ReadFile(path)
			res = invoke(t, nil, "template", path)
			after, _ := os.ReadFile(path)
			if res.code != exitUsage || !strings.Contains(res.stderr, "the file exists; it is not overwritten") || string(before) != string(after) {
				t.Errorf("second template: exit %d, stderr %q, file changed %v", res.code, res.stderr, string(before) != string(after))
			}
		})
	}
}

// TestTemplateXLSXSheets: the workbook's first sheet holds the rows with
// its columns formatted as text; the second explains every column.
func TestTemplateXLSXSheets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new_hires.xlsx")
	if res := invoke(t, nil, "template", path); res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{templateSheet, templateColumnsSheet}) {
		t.Errorf("sheets %v", got)
	}
	// A cell a person fills in later is text: 007 stays 007.
	id, err := f.GetCellStyle(templateSheet, "B50")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := f.GetStyle(id); st == nil || st.NumFmt != 49 {
		t.Errorf("an empty login cell has style %+v, want the text format 49", st)
	}
	rows, err := f.GetRows(templateColumnsSheet)
	if err != nil {
		t.Fatal(err)
	}
	explained := map[string][]string{}
	for _, r := range rows[1:] {
		if len(r) == 4 {
			explained[r[0]] = r
		}
	}
	for _, c := range []string{"agent_user", "agent_pass", "agent_full_name"} {
		if r := explained[c]; r == nil || r[1] != "required" || r[2] != "required" || r[3] == "" {
			t.Errorf("%s explained as %q", c, r)
		}
	}
	if r := explained["template"]; r == nil || r[2] != "required" || !strings.Contains(r[3], "copy_user") {
		t.Errorf("template explained as %q", r)
	}
}

// TestTemplateColumnsCoverTheReader: every column the reader understands
// is in the starter input and explained.
func TestTemplateColumnsCoverTheReader(t *testing.T) {
	have := map[string]bool{}
	for _, c := range templateColumns {
		if have[c.name] || c.add == "" || c.copy == "" || c.rule == "" {
			t.Errorf("column %s twice or half explained", c.name)
		}
		have[c.name] = true
	}
	ft := reflect.TypeFor[batch.Fields]()
	for i := range ft.NumField() {
		if tag := ft.Field(i).Tag.Get("csv"); !have[tag] {
			t.Errorf("the reader understands %s, which the template lacks", tag)
		}
	}
}

// TestTemplateRefusesOtherExtensions: the format follows the extension.
func TestTemplateRefusesOtherExtensions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new_hires.txt")
	if res := invoke(t, nil, "template", path); res.code != exitUsage || !strings.Contains(res.stderr, "name the file .xlsx or .csv") {
		t.Errorf("exit %d: %s", res.code, res.stderr)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a file was written: %v", err)
	}
}
