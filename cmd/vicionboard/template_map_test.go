package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/mapping"
)

// TestTemplateMap: template --map writes a starter mapping (mode 0600)
// that documents every field, that the mapping package accepts for the HR
// export it is written for, and that is never written over.
func TestTemplateMap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hr-mapping.yaml")
	res := invoke(t, nil, "template", "--map", path)
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "wrote "+path+": a starter mapping") {
		t.Errorf("stdout: %s", res.stdout)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mapping file: %v (mode %v)", err, fi)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, c := range templateColumns {
		if c.name == "employee_id" {
			continue // a column of HR's, not a field: the mapping's key
		}
		if !strings.Contains(text, "# "+c.name+" (add_user: "+c.add+"; copy_user: "+c.copy+"): ") {
			t.Errorf("no rule for %s", c.name)
		}
	}
	m, err := mapping.Load(path, batch.FieldNames())
	if err != nil {
		t.Fatalf("the starter mapping does not parse: %v", err)
	}
	if _, err := m.Bind(mapping.StarterHeader); err != nil {
		t.Fatalf("the starter mapping does not bind to its export's header: %v", err)
	}
	if m.KeyColumn() != "Employee ID" || !m.GeneratesLogin() {
		t.Errorf("key %q, generates login %v", m.KeyColumn(), m.GeneratesLogin())
	}

	res = invoke(t, nil, "template", "--map", path)
	after, _ := os.ReadFile(path)
	if res.code != exitUsage || !strings.Contains(res.stderr, "the file exists; it is not overwritten") || string(after) != text {
		t.Errorf("second template --map: exit %d, stderr %q, file changed %v", res.code, res.stderr, string(after) != text)
	}
}

// TestTemplateMapUsage: --map takes a .yaml file, alone.
func TestTemplateMapUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"not yaml", []string{"template", "--map", filepath.Join(dir, "m.csv")}, "name the file .yaml"},
		{"with an input too", []string{"template", "--map", filepath.Join(dir, "m.yaml"), filepath.Join(dir, "in.csv")}, "a starter mapping is written alone"},
		{"nothing to write", []string{"template"}, "name the file to write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := invoke(t, nil, tt.args...)
			if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", res.code, res.stderr, exitUsage, tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("files written: %v", entries)
			}
		})
	}
}
