package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// profileFlags is a flag set with the flags a profile names, as run
// registers them.
func profileFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.String("url", "", "")
	fs.String("api-user", "", "")
	fs.String("api-pass-file", "", "")
	fs.String("api-pass-env", "", "")
	fs.String("api-pass", "", "")
	_ = fs.MarkHidden("api-pass")
	fs.String("ledger", "", "")
	fs.String("map", "", "")
	fs.String("key", "", "")
	fs.String("out", "", "")
	fs.Int("workers", 8, "")
	fs.Float64("rate", 10, "")
	fs.Bool("update", false, "")
	fs.Bool("deactivate-missing", false, "")
	fs.Duration("timeout", 30*time.Second, "")
	return fs
}

// TestProfile: a profile sets its flags, relative paths from its
// directory, and the command line wins.
func TestProfile(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "nightly.yaml", `# nightly import
url: https://dialer.example.com
api_user: vicionboard
api_pass_env: NIGHTLY_VICIDIAL_PASS
ledger: /var/lib/vicionboard/ledger.db
map: hr-mapping.yaml
flags: {workers: 4, rate: 5, update: true, deactivate-missing: true, key: Employee ID, out: results/out.csv, timeout: 1m}
`)
	if err := os.Chmod(path, 0o644); err != nil { // readable by others is fine: no secret in it
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want map[string]string
	}{
		{"profile alone", nil, map[string]string{
			"url": "https://dialer.example.com", "api-user": "vicionboard", "api-pass-env": "NIGHTLY_VICIDIAL_PASS",
			"api-pass-file": "", "ledger": "/var/lib/vicionboard/ledger.db", "map": filepath.Join(dir, "hr-mapping.yaml"),
			"workers": "4", "rate": "5", "update": "true", "deactivate-missing": "true", "key": "Employee ID",
			"out": filepath.Join(dir, "results/out.csv"), "timeout": "1m0s"}},
		{"the command line wins", []string{"--workers", "2", "--map", "other.yaml", "--update=false", "--url", "https://test.example.com"},
			map[string]string{"workers": "2", "map": "other.yaml", "update": "false", "url": "https://test.example.com",
				"rate": "5", "api-user": "vicionboard"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := profileFlags()
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			p, err := loadProfile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.apply(fs); err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.want {
				if got := fs.Lookup(name).Value.String(); got != want {
					t.Errorf("--%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestProfileErrors: every problem at once, each at its line; a password
// is refused and never echoed.
func TestProfileErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string // each "LINE: text"
		atApply bool     // found by apply, not loadProfile
	}{
		{"unknown keys: closest", "url: https://x\napi-user: u\nledgr: l.db\nwhatever: 1\n",
			[]string{`:2: "api-user" is not a profile key: did you mean api_user?`, `:3: "ledgr" is not a profile key: did you mean ledger?`,
				`:4: "whatever" is not a profile key (the keys: url, api_user`}, false},
		{"passwords", "url: https://x\napi_pass: hunter2-top\nPassword: hunter2-top\nflags: {api-pass: hunter2-top, workers: 2, pass: hunter2-top}\n",
			[]string{":2: api_pass: " + profileMsgPassword, ":3: Password: " + profileMsgPassword,
				":4: flags: api-pass: " + profileMsgPassword, ":4: flags: pass: " + profileMsgPassword}, false},
		{"password in the url", "url: https://u:hunter2-top@dialer.example.com\n",
			[]string{":1: url: holds a password: " + profileMsgPassword}, false},
		{"a password for an env name", "api_pass_env: hunter2-top!\n",
			[]string{":1: api_pass_env names the environment variable"}, false},
		{"both password sources", "api_pass_file: p\napi_pass_env: P\n", []string{":2: api_pass_file and api_pass_env: give one"}, false},
		{"not single values", "url: [a, b]\nflags: {workers: {n: 4}, rate: }\n",
			[]string{":1: url: write one value", ":2: flags: workers: write one value", ":2: flags: rate: write one value"}, false},
		{"flags not a mapping", "flags: [workers]\n", []string{":1: flags: a mapping of flag names"}, false},
		{"set twice", "ledger: a.db\nflags:\n  ledger: b.db\n", []string{":3: flags: ledger: --ledger is set twice (also on line 1)"}, false},
		{"yaml syntax", "url: [x\n", []string{"not valid YAML"}, false},
		{"empty", "# nothing\n", []string{":1: the profile is empty"}, false},
		{"unknown flags: closest", "flags:\n  worker: 4\n  dactivate-missing: true\n  nonsense: 1\n",
			[]string{":2: flags: worker: this command has no flag --worker: did you mean workers?",
				":3: flags: dactivate-missing: this command has no flag --dactivate-missing: did you mean deactivate-missing?", ":4: flags: nonsense: this command has no flag --nonsense"}, true},
		{"values the flag refuses", "flags:\n  workers: four\n  update: maybe\n",
			[]string{`:2: flags: workers: invalid argument "four" for "--workers" flag`, `:3: flags: update: invalid argument "maybe"`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "p.yaml", tt.src)
			p, err := loadProfile(path)
			if tt.atApply {
				if err != nil {
					t.Fatalf("loadProfile: %v", err)
				}
				err = p.apply(profileFlags())
			}
			if err == nil {
				t.Fatal("no error")
			}
			var ue *usageError
			var pe *profileError
			if !errors.As(err, &ue) || !errors.As(err, &pe) || pe.file != path {
				t.Errorf("error %T %v: want a usage error of profileErrors", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), path+w) && !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a password:\n%v", err)
			}
		})
	}
}

// TestProfileMissing: a profile that cannot be read is a usage error.
func TestProfileMissing(t *testing.T) {
	_, err := loadProfile(filepath.Join(t.TempDir(), "none.yaml"))
	var ue *usageError
	if !errors.As(err, &ue) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v", err)
	}
}
