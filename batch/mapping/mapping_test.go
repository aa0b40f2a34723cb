package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testFields are the fields of batch.Fields, as batch passes them.
var testFields = []string{"agent_user", "agent_pass", "agent_full_name", "agent_user_level", "agent_user_group",
	"template", "phone_login", "phone_pass", "hotkeys_active", "voicemail_id", "email", "custom_one", "custom_two",
	"custom_three", "custom_four", "custom_five", "wrapup_seconds_override", "agent_choose_ingroups",
	"agent_choose_blended", "closer_default_blended", "in_groups", "active"}

// hrHeader is an HR export's header.
var hrHeader = []string{"Employee ID", "First Name", "Last Name", "Preferred Name", "Work Email", "Department",
	"Job Title", "Manager", "Hire Date", "Location", "Phone Extension"}

// example is the mapping of the package doc.
const example = `key: Employee ID
first_name: "{Preferred Name|First Name}"
last_name: Last Name
agent_full_name: "{Preferred Name|First Name} {Last Name}"
agent_user: {generate: "{f}{last}"}
agent_pass: {generate: password}
agent_user_level: 1
agent_user_group: {from: Department, map: {Sales: SALES, "Customer Care": SUPPORT}, default: AGENTS}
template: {from: Job Title, map: {"Team Lead": tmplsup}, default: ""}
email: Work Email
phone_login: Phone Extension
custom_one: {value: "Hired {Hire Date}"}
`

func mustParse(t testing.TB, src string) *Mapping {
	t.Helper()
	m, err := Parse([]byte(src), "map.yaml", testFields)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func mustBind(t testing.TB, m *Mapping, header []string) *Binder {
	t.Helper()
	b, err := m.Bind(header)
	if err != nil {
		t.Fatalf("Bind: %v", err)
	}
	return b
}

// row returns the cells of hrHeader from a map by column.
func row(header []string, v map[string]string) []string {
	cells := make([]string, len(header))
	for i, h := range header {
		cells[i] = v[h]
	}
	return cells
}

// TestExample: the package doc's mapping turns HR rows into fields.
func TestExample(t *testing.T) {
	m := mustParse(t, example)
	if m.File() != "map.yaml" || m.KeyColumn() != "Employee ID" || !m.GeneratesLogin() {
		t.Fatalf("File %q KeyColumn %q GeneratesLogin %v", m.File(), m.KeyColumn(), m.GeneratesLogin())
	}
	b := mustBind(t, m, hrHeader)
	wantFields := []string{"agent_user", "agent_pass", "agent_full_name", "agent_user_level", "agent_user_group",
		"template", "phone_login", "email", "custom_one"}
	if !reflect.DeepEqual(b.Fields(), wantFields) {
		t.Fatalf("Fields %v, want %v", b.Fields(), wantFields)
	}
	tests := []struct {
		name string
		row  map[string]string
		want Mapped
	}{
		{"preferred name, mapped group, team lead",
			map[string]string{"Employee ID": "E1", "First Name": "Robert", "Last Name": "Smith", "Preferred Name": "Bob",
				"Work Email": " bob@example.com ", "Department": " customer care ", "Job Title": "team lead",
				"Hire Date": "2026-01-05", "Phone Extension": "0123"},
			Mapped{Values: []string{"", "", "Bob Smith", "1", "SUPPORT", "tmplsup", "0123", "bob@example.com", "Hired 2026-01-05"},
				LoginPattern: "{f}{last}", First: "Bob", Last: "Smith"}},
		{"no preferred name, unmapped department gives the default, no hire date",
			map[string]string{"First Name": "Ann  Marie", "Last Name": "Lee", "Department": "Legal", "Job Title": "Agent"},
			Mapped{Values: []string{"", "", "Ann Marie Lee", "1", "AGENTS", "", "", "", "Hired"},
				LoginPattern: "{f}{last}", First: "Ann Marie", Last: "Lee"}},
		{"empty department and title give the defaults",
			map[string]string{"First Name": "Kim", "Last Name": "Park"},
			Mapped{Values: []string{"", "", "Kim Park", "1", "AGENTS", "", "", "", "Hired"},
				LoginPattern: "{f}{last}", First: "Kim", Last: "Park"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Apply(row(hrHeader, tt.row))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestApply: each value form, identity columns, name parts.
func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		mapping string
		header  []string
		cells   []string
		fields  []string
		values  []string
		pattern string
		first   string
		last    string
	}{
		{"identity columns need no mapping; source_user is template",
			"email: Mail\n", []string{" AGENT_USER ", "Agent_Pass", "agent_full_name", "source_user", "Mail", "email"},
			[]string{"jdoe", "pw-1", "Jane van Doe", "5555", "j@x.io", "other@x.io"},
			[]string{"agent_user", "agent_pass", "agent_full_name", "template", "email"},
			[]string{"jdoe", "pw-1", "Jane van Doe", "5555", "j@x.io"}, "", "Jane", "Doe"},
		{"template: escapes, alternatives, spaces collapsed and trimmed",
			`agent_full_name: "  {{{A|B}}}   {C} "` + "\n", []string{"A", "B", "C"},
			[]string{"", " x  y ", "\u00a0z\t"},
			[]string{"agent_full_name"}, []string{"{x y} z"}, "", "{x", "z"},
		{"all-empty template is empty",
			`agent_full_name: "{A} {B}"` + "\n", []string{"A", "B"}, []string{"", " "},
			[]string{"agent_full_name"}, []string{""}, "", "", ""},
		{"constants: number as written, booleans, active",
			"agent_user_level: 07\nhotkeys_active: true\nagent_choose_blended: false\nactive: false\ncustom_one: {value: \"{{x}}\"}\ncustom_two: {value: }\n",
			[]string{"x"}, []string{"y"},
			[]string{"agent_user_level", "hotkeys_active", "custom_one", "custom_two", "agent_choose_blended", "active"},
			[]string{"07", "1", "{x}", "", "0", "N"}, "", "", ""},
		{"from with a default only",
			"agent_user_group: {from: Team, default: AGENTS}\n", []string{"Team"}, []string{""},
			[]string{"agent_user_group"}, []string{"AGENTS"}, "", "", ""},
		{"a map value and default may be templates",
			"custom_one: {from: Kind, map: {a: \"A-{Id}\"}, default: \"other {Id}\"}\n", []string{"Kind", "Id"}, []string{" A ", "7"},
			[]string{"custom_one"}, []string{"A-7"}, "", "", ""},
		{"login from the column when not empty",
			"agent_user: {from: Login, generate: \"{first}_{last}\"}\nagent_pass: {from: Pw, generate: password}\n",
			[]string{"Login", "Pw", "agent_full_name"}, []string{"jdoe", "", "Jane Doe"},
			[]string{"agent_user", "agent_pass", "agent_full_name"}, []string{"jdoe", "", "Jane Doe"}, "", "Jane", "Doe"},
		{"login generated when the column is empty; pattern canonical",
			"agent_user: {from: Login, generate: \"{First}-{L}\"}\n",
			[]string{"Login", "agent_full_name"}, []string{" ", "Cher"},
			[]string{"agent_user", "agent_full_name"}, []string{"", "Cher"}, "{first}-{l}", "Cher", "Cher"},
		{"mapped name parts win; empty ones fall back to the full name",
			"first_name: Given\nlast_name: Family\n", []string{"Given", "Family", "agent_full_name"}, []string{"Jo", "", "Joanna de la Cruz"},
			[]string{"agent_full_name"}, []string{"Joanna de la Cruz"}, "", "Jo", "Cruz"},
		{"first_name and last_name columns of the header are the name parts",
			"email: Mail\n", []string{"First_Name", "last_name", "Mail"}, []string{"Al", "Bo", "a@b.c"},
			[]string{"email"}, []string{"a@b.c"}, "", "Al", "Bo"},
		{"a short row reads as empty cells",
			"agent_full_name: \"{A} {B}\"\n", []string{"A", "B"}, []string{"x"},
			[]string{"agent_full_name"}, []string{"x"}, "", "x", "x"},
		{"a long map is matched ignoring case",
			"agent_user_group: {from: D, map: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, Ii: 9, j: 10}}\n", []string{"D"}, []string{"iI"},
			[]string{"agent_user_group"}, []string{"9"}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustBind(t, mustParse(t, tt.mapping), tt.header)
			got, err := b.Apply(tt.cells)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b.Fields(), tt.fields) {
				t.Errorf("Fields %v, want %v", b.Fields(), tt.fields)
			}
			want := Mapped{Values: tt.values, LoginPattern: tt.pattern, First: tt.first, Last: tt.last}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestValueError: an unmapped value with no default makes a ValueError
// naming the value, the field, the column and the keys; never a password.
func TestValueError(t *testing.T) {
	tests := []struct {
		name    string
		mapping string
		header  []string
		cells   []string
		column  int
		field   string
		want    []string
		notWant string
	}{
		{"group", "agent_user_group: {from: Department, map: {Sales: SALES, \"Customer Care\": SUPPORT}}\n",
			[]string{"Id", "Department"}, []string{"1", "Marketing"}, 2, "agent_user_group",
			[]string{`agent_user_group: Department "Marketing" is not in the map (Sales, Customer Care)`, "no default"}, ""},
		{"template source", "template: {from: \"{Title} {Level}\", map: {lead 2: t2}}\n",
			[]string{"Level", "Title"}, []string{"3", "Lead"}, 2, "template",
			[]string{`the template "{Title} {Level}" "Lead 3" is not in the map (lead 2)`}, ""},
		{"first_name", "first_name: {from: Given, map: {x: y}}\n",
			[]string{"Given"}, []string{"Zed"}, 1, "first_name", []string{`Given "Zed"`}, ""},
		{"password never quoted", "agent_pass: {from: Pw, map: {s3cret-a: x}}\n",
			[]string{"Pw"}, []string{"hunter2-x"}, 1, "agent_pass", []string{"the value of Pw is not in the map (1 keys)"}, "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustBind(t, mustParse(t, tt.mapping), tt.header)
			_, err := b.Apply(tt.cells)
			var ve *ValueError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v, want a *ValueError", err)
			}
			if ve.Column != tt.column || ve.Field != tt.field {
				t.Errorf("Column %d Field %q, want %d %q", ve.Column, ve.Field, tt.column, tt.field)
			}
			for _, w := range tt.want {
				if !strings.Contains(ve.Error(), w) {
					t.Errorf("error %q lacks %q", ve.Error(), w)
				}
			}
			if tt.notWant != "" && strings.Contains(ve.Error(), tt.notWant) || strings.Contains(ve.Error(), "hunter2") {
				t.Errorf("error %q quotes a password", ve.Error())
			}
		})
	}
}

// TestParseErrors: every problem of the file, each with its line.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each "LINE: text"
	}{
		{"unknown field: closest", "agent_full_name: Name\nagent_usr_group: D\nemial: Mail\nzzz: x\n",
			[]string{`map.yaml:2: "agent_usr_group" is not a field: did you mean agent_user_group?`,
				`map.yaml:3: "emial" is not a field: did you mean email?`, `map.yaml:4: "zzz" is not a field (the fields: key, first_name`}},
		{"generate on the wrong field", "email: {generate: \"{first}\"}\n",
			[]string{"map.yaml:1: email: generate is only for agent_user"}},
		{"pattern with a dot", "agent_user: {generate: \"{first}.{last}\"}\n",
			[]string{`map.yaml:1: agent_user: login pattern "{first}.{last}": "." is deleted from logins by VICIdial (it keeps letters, digits, - and _): write {first}_{last} or {first}{last}`}},
		{"pattern with spaces and an accent", "agent_user: {generate: \"é {f} {last}\"}\n",
			[]string{`"é", " " are deleted from logins by VICIdial`, `write _{f}_{last} or {f}{last}`}},
		{"pattern placeholders", "agent_user: {generate: \"{First Name}\"}\nagent_pass: {generate: \"{first}\"}\n",
			[]string{"map.yaml:1: agent_user: login pattern \"{First Name}\": {First Name} is not a placeholder",
				"map.yaml:2: agent_pass: generate takes only password"}},
		{"pattern without placeholder", "agent_user: {generate: agent}\n", []string{"without one every row gets the same login"}},
		{"pattern unclosed", "agent_user: {generate: \"{first\"}\n", []string{"a { is not closed"}},
		{"wrong value types", "email: [a, b]\nphone_login:\ncustom_one: {value: [x]}\nagent_user_group: {from: D, map: [a]}\n",
			[]string{"map.yaml:1: email: a list is not a value", "map.yaml:2: phone_login: no value",
				"map.yaml:3: custom_one: value: a list is not a value", "map.yaml:4: agent_user_group: map is a mapping"}},
		{"empty from", "agent_user_group: {from: \"\", map: {a: b}}\ntemplate: {from: , default: x}\n",
			[]string{"map.yaml:1: agent_user_group: from is empty", "map.yaml:2: template: from is empty"}},
		{"map without from; value with from; unknown option", "agent_user_group: {map: {a: b}}\ncustom_one: {value: x, from: y}\ncustom_two: {form: X}\n",
			[]string{"map.yaml:1: agent_user_group: map and default need from", "map.yaml:2: custom_one: value is a constant",
				`map.yaml:3: custom_two: "form" is not an option of a value: did you mean from?`}},
		{"generate with map", "agent_user: {generate: \"{f}{last}\", map: {a: b}}\n", []string{"generate takes only from"}},
		{"duplicates", "template: A\nsource_user: B\nagent_user_group: {from: D, map: {Sales: A, \" sales \": B}}\n",
			[]string{"map.yaml:2: template is set twice (also on line 1)", `map.yaml:3: agent_user_group: "sales" is in map twice`}},
		{"bad templates", "agent_full_name: \"{First} }\"\ncustom_one: \"{A||B}\"\ncustom_two: \"{A {B}\"\n",
			[]string{"map.yaml:1: agent_full_name: template \"{First} }\": the } at character 9 closes no {",
				"map.yaml:2: custom_one: template", "names an empty column", "map.yaml:3: custom_two: template \"{A {B}\": the { at character 1 is not closed"}},
		{"key", "key: \"{A}\"\n", []string{"map.yaml:1: key: name one column"}},
		{"yaml syntax", "email: Mail\nphone_login: [a\n", []string{"map.yaml:1: not valid YAML: did not find expected ',' or ']'"}},
		{"not a mapping", "- a\n- b\n", []string{"map.yaml:1: a mapping file is a YAML mapping"}},
		{"empty", "# nothing\n", []string{"map.yaml:1: the mapping is empty"}},
		{"empty column name", "email: \" \"\n", []string{"map.yaml:1: email: an empty column name"}},
		{"empty map key", "template: {from: T, map: {\"\": x}}\n", []string{"an empty key of map never matches"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.src), "map.yaml", testFields)
			if err == nil {
				t.Fatalf("no error; mapping %+v", m)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T, want Errors", err)
			}
			var one *Error
			if !errors.As(err, &one) || one.File != "map.yaml" {
				t.Errorf("errors.As *Error: %+v", one)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestBindErrors: every missing column at once, each at its line, with the
// closest header cell and the header's cells.
func TestBindErrors(t *testing.T) {
	src := `key: Employe ID
agent_full_name: "{Preferred|First Name} {Lastname}"
agent_user_level: Y
agent_user_group: {from: Dept, map: {a: b}, default: "{Zone}"}
email: work email
`
	m := mustParse(t, src)
	_, err := m.Bind(hrHeader)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v, want Errors", err)
	}
	want := []struct {
		line int
		text string
	}{
		{1, `column "Employe ID" is not in the input's header (did you mean "Employee ID"?); the header has: Employee ID, First Name,`},
		{2, `column "Preferred" is not in the input's header (did you mean "Preferred Name"?)`},
		{2, `column "Lastname" is not in the input's header (did you mean "Last Name"?)`},
		{3, `column "Y" is not in the input's header (for the constant "Y", write {value: "Y"})`},
		{4, `column "Dept" is not in the input's header`},
		{4, `column "Zone" is not in the input's header`},
	}
	if len(errs) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if errs[i].Line != w.line || !strings.Contains(errs[i].Msg, w.text) {
			t.Errorf("error %d: %v\nwant line %d: %s", i, errs[i], w.line, w.text)
		}
	}
	if strings.Contains(err.Error(), "work email") {
		t.Errorf("email's column matches ignoring case, yet: %v", err)
	}
}

// TestStarter: the starter mapping documents every field, and Parse and
// Bind accept it for the HR export it is written for.
func TestStarter(t *testing.T) {
	var docs []FieldDoc
	for _, f := range testFields {
		docs = append(docs, FieldDoc{Name: f, Rule: "the rule of " + f + " " + strings.Repeat("word ", 30)})
	}
	var buf bytes.Buffer
	if err := WriteStarter(&buf, docs); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, f := range testFields {
		if !strings.Contains(text, "# the rule of "+f+" ") {
			t.Errorf("no rule for %s", f)
		}
		if !strings.Contains(text, "\n"+f+": ") && !strings.Contains(text, "\n#"+f+": ") {
			t.Errorf("no line for %s", f)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if len(line) > 110 {
			t.Errorf("long line: %q", line)
		}
	}
	m, err := Parse(buf.Bytes(), "starter.yaml", testFields)
	if err != nil {
		t.Fatalf("Parse of the starter: %v\n%s", err, text)
	}
	b := mustBind(t, m, StarterHeader)
	got, err := b.Apply(row(StarterHeader, map[string]string{"Employee ID": "E7", "First Name": "Jane", "Last Name": "Doe",
		"Department": "Sales", "Work Email": "jane@example.com", "Manager": "Ann", "Location": "Leeds", "Hire Date": "2026-02-01"}))
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for i, f := range b.Fields() {
		values[f] = got.Values[i]
	}
	want := map[string]string{"agent_user": "", "agent_pass": "", "agent_full_name": "Jane Doe", "agent_user_level": "1",
		"agent_user_group": "SALES", "template": "", "email": "jane@example.com", "phone_login": "", "custom_one": "Hired 2026-02-01",
		"custom_two": "Ann", "custom_three": "Leeds"}
	if !reflect.DeepEqual(values, want) || got.LoginPattern != "{f}{last}" || m.KeyColumn() != "Employee ID" {
		t.Errorf("starter maps to %v %+v, want %v", values, got, want)
	}
	// A team lead is copied from the template and keeps its level: the
	// starter never demotes one to 1.
	lead, err := b.Apply(row(StarterHeader, map[string]string{"Employee ID": "E8", "First Name": "Tom", "Last Name": "Lead",
		"Job Title": "Team Lead", "Department": "Sales"}))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range b.Fields() {
		if (f == "agent_user_level" && lead.Values[i] != "") || (f == "template" && lead.Values[i] != "tmplsup") {
			t.Errorf("a team lead's %s is %q: a copy must take its template's level", f, lead.Values[i])
		}
	}
}

// TestLoad names the file in its errors.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(path, []byte("emial: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, testFields); err == nil || !strings.HasPrefix(err.Error(), path+":1: ") {
		t.Errorf("Load: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "none.yaml"), testFields); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// TestLoadRefuses: a mapping saved in Windows-1252 is refused with its
// line and column, and "save it as UTF-8".
func TestLoadRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(path, []byte("key: Employee ID\ncustom_one: {value: \"\xc9quipe\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, testFields)
	var es Errors
	if !errors.As(err, &es) || es[0].Line != 2 || !strings.Contains(err.Error(), ":2: column 22: not UTF-8") || !strings.Contains(err.Error(), "save it as UTF-8") {
		t.Errorf("Load: %v", err)
	}
}

// TestNameColumns: the columns a mapping reads the person's name from,
// each part with its alternatives.
func TestNameColumns(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{"agent_full_name: \"{Preferred Name|First Name} {Last Name}\"\n", "[[Preferred Name First Name] [Last Name]]"},
		{"agent_full_name: Name\n", "[[Name]]"},
		{"first_name: Given\nlast_name: Family\n", "[[Given] [Family]]"},
		{"email: Work Email\n", "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(mustParse(t, tt.src).NameColumns()); got != tt.want {
			t.Errorf("%q: %s, want %s", tt.src, got, tt.want)
		}
	}
}

// FuzzParse: Parse never panics, and what it accepts binds and applies.
func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte("agent_user: {from: Login, generate: \"{first}_{last}\"}\n"))
	f.Add([]byte("a: &x {from: b}\nemail: *x\n"))
	f.Add([]byte("custom_one: \"{{{A|B}}}\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz.yaml", testFields)
		if err != nil {
			return
		}
		header := append([]string{"A", "B", "Login"}, hrHeader...)
		b, err := m.Bind(header)
		if err != nil {
			return
		}
		got, _ := b.Apply([]string{"x", " y ", ""})
		if len(got.Values) != len(b.Fields()) {
			t.Fatalf("%d values for %d fields", len(got.Values), len(b.Fields()))
		}
	})
}

// BenchmarkApply maps the example's HR row.
func BenchmarkApply(b *testing.B) {
	bd := mustBind(b, mustParse(b, example), hrHeader)
	cells := row(hrHeader, map[string]string{"Employee ID": "E1", "First Name": "Robert", "Last Name": "Smith",
		"Preferred Name": "Bob", "Work Email": "bob@example.com", "Department": "Customer Care", "Job Title": "Agent",
		"Hire Date": "2026-01-05", "Phone Extension": "0123"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bd.Apply(cells); err != nil {
			b.Fatal(err)
		}
	}
}
