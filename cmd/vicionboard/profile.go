package main

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/vicionboard/vicionboard/batch/ledger"

	"github.com/vicionboard/vicionboard/batch/textfile"
	"github.com/vicionboard/vicionboard/batch/words"
)

// profileHelp describes --profile files, for a command's --help.
const profileHelp = `A profile (--profile FILE.yaml) holds the settings of a job that runs unattended, such as a nightly
import. It is YAML:

  url: https://dialer.example.com
  api_user: vicionboard
  api_pass_file: /etc/vicionboard/api-pass   # or api_pass_env: NIGHTLY_VICIDIAL_PASS
  ledger: /var/lib/vicionboard/ledger.db    # or postgres://vicionboard@db.example.com/vicionboard
  ledger_key: /etc/vicionboard/ledger.key   # the ledger's key file (needed for PostgreSQL)
  map: hr-mapping.yaml
  flags: {workers: 4, rate: 5, update: true, deactivate-missing: true, key: Employee ID}

url, api_user, api_pass_file, ledger, ledger_key and map set the flags of the same names (--api-user...);
map may also be the mapping itself, written under it as in a --map file;
api_pass_env names the environment variable that holds the API password; flags sets any other flag
by its name. A flag given on the command line wins over the profile. Relative paths (api_pass_file,
ledger, map, and the flags ca-file, out and report) are relative to the profile's directory (a postgres:// ledger is a URL, not a path). The
password itself never goes in a profile, so the file may be readable by others.

servers: instead of url names several servers, each row going to the one its server field names
(a server column, or the mapping's server:, e.g. {from: Site, map: {Leeds: leeds, York: york}}):

  servers:
    leeds: {url: https://leeds.example.com, api_pass_env: LEEDS_VICIDIAL_PASS}
    york: {url: https://york.example.com, api_pass_file: york-pass, rate: 5, workers: 2}

Each takes the job's settings (api_user, the password's file or variable, rate, workers, source,
timeout, retries, ca_file) but those it gives itself; a flag on the command line wins over both.`

// profileMsgPassword refuses a password in a profile; it never quotes the
// value.
const profileMsgPassword = "the password never goes in a profile: use api_pass_file or api_pass_env"

// profileKeys are a profile's top-level keys, and the flag each sets
// ("" for flags:, a mapping of flags).
var profileKeys = []struct{ key, flag string }{
	{"url", "url"},
	{"api_user", "api-user"},
	{"api_pass_file", "api-pass-file"},
	{"api_pass_env", "api-pass-env"},
	{"ledger", "ledger"},
	{"ledger_key", "ledger-key"},
	{"feed", "feed"},
	{"server_name", "server-name"},
	{"map", "map"},
	{"servers", ""},
	{"phones", ""},
	{"flags", ""},
}

// profileServerKeys are the keys of one server under a profile's
// servers:, and the flag of the job each stands for on that server.
var profileServerKeys = []struct{ key, flag string }{
	{"url", "url"},
	{"api_user", "api-user"},
	{"api_pass_file", "api-pass-file"},
	{"api_pass_env", "api-pass-env"},
	{"rate", "rate"},
	{"workers", "workers"},
	{"source", "source"},
	{"timeout", "timeout"},
	{"retries", "retries"},
	{"ca_file", "ca-file"},
}

// maxServerName bounds a server's name: it is written in every row of
// the result file, in the ledger and in log lines.
const maxServerName = 40

// profilePathFlags are the flags whose relative values are relative to the
// profile's directory.
var profilePathFlags = []string{"api-pass-file", "ledger", "ledger-key", "map", "ca-file", "out", "report"}

// profile is a loaded --profile file: the flags it sets, and the mapping
// it holds when its map: is a mapping rather than a file's path.
type profile struct {
	path     string
	settings []profileSetting
	mapping  *yaml.Node // map: written in the profile; nil when none
	// servers are the job's servers when the profile names several
	// (servers:), in the profile's order; serversLine is its line.
	servers     []profileServer
	serversLine int
	// phones are the job's phone settings (phones:, read by phones.go);
	// nil when none.
	phones *yaml.Node
}

// profileServer is one server of a profile's servers: its name and the
// settings it has of its own (each a flag of the job, for this server:
// the others it takes from the job).
type profileServer struct {
	name     string
	line     int
	settings []profileSetting
}

// profileSetting is one flag a profile sets.
type profileSetting struct {
	flag  string // the flag's name
	key   string // the key as the profile writes it, for messages
	value string
	line  int
}

// profileError is a problem of a profile file at a line.
type profileError struct {
	file string
	line int
	msg  string
}

// Error returns "FILE:LINE: MSG".
func (e *profileError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
	}
	return fmt.Sprintf("%s: %s", e.file, e.msg)
}

// profileErrors returns errs, each a *profileError, as one usage error.
func profileErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return &usageError{errors.Join(errs...)}
}

// loadProfile reads the profile at path. Every problem is reported at
// once, each with its line: a key that is not a profile's (with the
// closest), a password, a value that is not a single one.
func loadProfile(path string) (*profile, error) {
	p := &profile{path: path}
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &profileError{file: path, line: line, msg: fmt.Sprintf(format, args...)})
	}
	data, err := textfile.Read(path, "profile")
	var refused *textfile.Error
	if errors.As(err, &refused) {
		msg := refused.Msg
		if refused.Column > 0 {
			msg = fmt.Sprintf("column %d: %s", refused.Column, msg)
		}
		fail(refused.Line, "%s", msg)
		return nil, profileErrors(errs)
	}
	if err != nil {
		return nil, usagef("--profile: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlLine(err)
		fail(line, "not valid YAML: %s", msg)
		return nil, profileErrors(errs)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == yaml.DocumentNode || root.Kind == 0 || root.Tag == "!!null" {
		fail(1, "the profile is empty (see vicionboard run --help)")
		return nil, profileErrors(errs)
	}
	if root.Kind != yaml.MappingNode {
		fail(root.Line, "a profile is a YAML mapping of key: value lines (url: ..., api_user: ..., flags: {...})")
		return nil, profileErrors(errs)
	}
	dir := filepath.Dir(path)
	seen := map[string]int{} // flag -> line
	add := func(flag, key string, v *yaml.Node) {
		value, ok := profileValue(v)
		switch {
		case !ok:
			fail(v.Line, "%s: write one value, as on the command line", key)
			return
		case seen[flag] > 0:
			fail(v.Line, "%s: --%s is set twice (also on line %d)", key, flag, seen[flag])
			return
		}
		seen[flag] = v.Line
		if slices.Contains(profilePathFlags, flag) && value != "" && !filepath.IsAbs(value) && !ledger.IsPostgres(value) {
			value = filepath.Join(dir, value)
		}
		p.settings = append(p.settings, profileSetting{flag: flag, key: key, value: value, line: v.Line})
	}
	var keys []string
	for _, k := range profileKeys {
		keys = append(keys, k.key)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := strings.TrimSpace(k.Value)
		if isPasswordKey(key) {
			fail(k.Line, "%s: %s", key, profileMsgPassword)
			continue
		}
		j := slices.IndexFunc(profileKeys, func(pk struct{ key, flag string }) bool { return pk.key == key })
		if j < 0 {
			fail(k.Line, "%s", notAKey(fmt.Sprintf("%q is not a profile key", key), key, keys, "other flags go under flags:"))
			continue
		}
		switch key {
		case "flags":
			if v.Kind != yaml.MappingNode {
				fail(v.Line, "flags: a mapping of flag names to values, e.g. flags: {workers: 4, update: true}")
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				fk, fv := v.Content[j], v.Content[j+1]
				name := strings.TrimPrefix(strings.TrimSpace(fk.Value), "--")
				if isPasswordKey(name) {
					fail(fk.Line, "flags: %s: %s", name, profileMsgPassword)
					continue
				}
				if msg := secretValue(name, "flags: "+name, fv.Value, profileMsgPassword); msg != "" {
					fail(fv.Line, "%s", msg)
					continue
				}
				add(name, "flags: "+name, fv)
			}
			continue
		case "url", "api_user":
			if msg := secretValue(profileKeys[j].flag, key, v.Value, profileMsgPassword); msg != "" {
				fail(v.Line, "%s", msg)
				continue
			}
		case "map":
			if v.Kind == yaml.MappingNode {
				// The mapping itself, in the profile: parsed by prepare.
				if seen["map"] > 0 {
					fail(v.Line, "map: is set twice (also on line %d)", seen["map"])
				}
				seen["map"], p.mapping = v.Line, v
				continue
			}
		case "api_pass_env":
			if msg := secretValue("api-pass-env", key, v.Value, profileMsgPassword); msg != "" {
				fail(v.Line, "%s", msg)
				continue
			}
		case "phones":
			if p.phones != nil {
				fail(k.Line, "phones: is set twice (also on line %d)", p.phones.Line)
			}
			p.phones = v
			continue
		case "servers":
			if p.serversLine > 0 {
				fail(k.Line, "servers: is set twice (also on line %d)", p.serversLine)
				continue
			}
			p.serversLine = k.Line
			p.servers = loadServers(v, dir, fail)
			continue
		}
		add(profileKeys[j].flag, key, v)
	}
	if seen["api-pass-file"] > 0 && seen["api-pass-env"] > 0 {
		fail(max(seen["api-pass-file"], seen["api-pass-env"]), "api_pass_file and api_pass_env: give one (where the API password comes from)")
	}
	if p.serversLine > 0 && seen["url"] > 0 {
		fail(seen["url"], "url: this profile names its servers under servers: (line %d), each with its url: remove this one", p.serversLine)
	}
	if err := profileErrors(errs); err != nil {
		return nil, err
	}
	return p, nil
}

// loadServers reads a profile's servers: (the node v; dir is the
// profile's folder), calling fail for each problem: a name that is not
// one, or is given twice; a key that is not a server's (with the closest);
// a password; a value that is not a single one; a server without url.
func loadServers(v *yaml.Node, dir string, fail func(line int, format string, args ...any)) []profileServer {
	const example = "servers: a mapping of each server's name to its settings, e.g. servers: {leeds: {url: https://leeds.example.com, api_pass_env: LEEDS_VICIDIAL_PASS}}"
	if v.Kind != yaml.MappingNode {
		fail(v.Line, "%s", example)
		return nil
	}
	if len(v.Content) == 0 {
		fail(v.Line, "servers: names no server (%s)", example)
		return nil
	}
	var keys []string
	for _, k := range profileServerKeys {
		keys = append(keys, k.key)
	}
	var servers []profileServer
	named := map[string]int{} // lower-case name -> line
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, sv := v.Content[i], v.Content[i+1]
		name := strings.TrimSpace(k.Value)
		switch {
		case isPasswordKey(name):
			fail(k.Line, "servers: %s: %s", name, profileMsgPassword)
			continue
		case !serverName(name):
			shown := fmt.Sprintf("%q", name)
			if looksSecret(name) {
				shown = "this name (not shown, in case it is a secret)"
			}
			fail(k.Line, "servers: %s is not a server name: 1-%d letters, digits, -, _ or .", shown, maxServerName)
			continue
		case named[strings.ToLower(name)] > 0:
			fail(k.Line, "servers: %s: named twice (also on line %d; names are compared without case, as a row's server is)", name, named[strings.ToLower(name)])
			continue
		}
		named[strings.ToLower(name)] = k.Line
		where := "servers: " + name
		if sv.Kind != yaml.MappingNode {
			fail(sv.Line, "%s: a mapping of this server's settings, e.g. {url: https://%s.example.com, api_pass_env: %s_VICIDIAL_PASS}",
				where, strings.ToLower(name), strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name)))
			continue
		}
		ps := profileServer{name: name, line: k.Line}
		seen := map[string]int{} // flag -> line
		for j := 0; j+1 < len(sv.Content); j += 2 {
			fk, fv := sv.Content[j], sv.Content[j+1]
			key := strings.TrimSpace(fk.Value)
			if isPasswordKey(key) {
				fail(fk.Line, "%s: %s: %s", where, key, profileMsgPassword)
				continue
			}
			n := slices.IndexFunc(profileServerKeys, func(pk struct{ key, flag string }) bool { return pk.key == key })
			if n < 0 {
				fail(fk.Line, "%s", notAKey(fmt.Sprintf("%s: %q is not a server's key", where, key), key, keys, "the job's other flags go under flags:"))
				continue
			}
			flag, at := profileServerKeys[n].flag, where+": "+key
			value, ok := profileValue(fv)
			switch {
			case !ok:
				fail(fv.Line, "%s: write one value, as on the command line", at)
				continue
			case seen[flag] > 0:
				fail(fv.Line, "%s: is set twice (also on line %d)", at, seen[flag])
				continue
			}
			if msg := secretValue(flag, at, value, profileMsgPassword); msg != "" {
				fail(fv.Line, "%s", msg)
				continue
			}
			seen[flag] = fv.Line
			if slices.Contains(profilePathFlags, flag) && value != "" && !filepath.IsAbs(value) {
				value = filepath.Join(dir, value)
			}
			ps.settings = append(ps.settings, profileSetting{flag: flag, key: at, value: value, line: fv.Line})
		}
		if seen["url"] == 0 {
			fail(k.Line, "%s: no url (the server's address, e.g. url: https://%s.example.com)", where, strings.ToLower(name))
		}
		if seen["api-pass-file"] > 0 && seen["api-pass-env"] > 0 {
			fail(max(seen["api-pass-file"], seen["api-pass-env"]), "%s: api_pass_file and api_pass_env: give one (where this server's API password comes from)", where)
		}
		servers = append(servers, ps)
	}
	return servers
}

// notAKey completes msg, about a key that is not one of keys: the key it
// probably is, or the keys and where the others go.
func notAKey(msg, key string, keys []string, others string) string {
	if c := closestName(key, keys); c != "" {
		return msg + fmt.Sprintf(": did you mean %s?", c)
	}
	return msg + " (the keys: " + strings.Join(keys, ", ") + "; " + others + ")"
}

// serverName reports whether name may name a server: 1 to maxServerName
// letters, digits, -, _ or . (it is a cell of the result file, a key of
// the ledger, a word of a log line).
func serverName(name string) bool {
	if name == "" || len(name) > maxServerName {
		return false
	}
	for _, r := range name {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// apply sets each flag the profile names on fs, unless the command line
// set it (fs.Changed): the command line wins. A flag the profile sets
// counts as Changed afterwards. Every problem is reported at once: a flag
// fs does not have (with the closest), a value the flag refuses.
func (p *profile) apply(fs *pflag.FlagSet) error {
	return profileErrors(p.set(fs, p.settings, fs.Changed))
}

// set sets each of settings on fs but those skip says the command line
// set, and returns every problem: a flag fs does not have (with the
// closest), a value the flag refuses (not quoted when it may be a secret).
func (p *profile) set(fs *pflag.FlagSet, settings []profileSetting, skip func(flag string) bool) []error {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	var errs []error
	for _, s := range settings {
		if fs.Lookup(s.flag) == nil {
			msg := fmt.Sprintf("%s: this command has no flag --%s", s.key, s.flag)
			if c := closestName(s.flag, names); c != "" {
				msg += fmt.Sprintf(": did you mean %s?", c)
			}
			errs = append(errs, &profileError{file: p.path, line: s.line, msg: msg})
			continue
		}
		if skip(s.flag) {
			continue
		}
		if err := fs.Set(s.flag, s.value); err != nil {
			msg := err.Error()
			if looksSecret(s.value) {
				// Not quoted: a password written in the wrong place.
				msg = fmt.Sprintf("not a valid value for --%s (%s); the value is not shown, in case it is a secret", s.flag, fs.Lookup(s.flag).Value.Type())
			}
			errs = append(errs, &profileError{file: p.path, line: s.line, msg: fmt.Sprintf("%s: %s", s.key, msg)})
		}
	}
	return errs
}

// profileValue returns a scalar's text (true, 4, a string), or false for a
// list, a mapping or nothing.
func profileValue(n *yaml.Node) (string, bool) {
	for range 10 {
		if n.Kind != yaml.AliasNode || n.Alias == nil {
			break
		}
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", false
	}
	return n.Value, true
}

// isPasswordKey reports whether a profile key would hold a password.
func isPasswordKey(key string) bool {
	k := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(key)), "-", "_")
	switch k {
	case "pass", "password", "passwd", "api_pass", "api_password", "api_passwd", "secret":
		return true
	}
	return strings.HasSuffix(k, "_password") || strings.HasSuffix(k, "_passwd")
}

// envName reports whether s is an environment variable name as they are
// written by convention: upper-case letters, digits and _, not starting
// with a digit. A value with lower-case letters in it (Sup3rSecret) is more
// likely the password itself than the name of its variable.
func envName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && (r < 'A' || r > 'Z') && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// secretValue checks the value of a flag that names where a secret is, or
// names the server or the API user, and returns why it is refused ("" when
// it is not), never quoting it; where names the setting in the message
// (a profile's key, or the flag and its variable), and fix says where the
// password goes instead:
//   - --api-pass-env names a variable (NIGHTLY_VICIDIAL_PASS): anything
//     else may be the password itself;
//   - an --api-user with a ":" is a user:password pair (a VICIdial login
//     has no ":");
//   - a --url with a password in it, as userinfo or as a query parameter
//     (?pass=), which would otherwise be dropped without a word.
func secretValue(flag, where, value, fix string) string {
	switch flag {
	case "api-pass-env":
		if !envName(value) {
			return where + " names the environment variable that holds the API password: upper-case letters, digits and _, e.g. NIGHTLY_VICIDIAL_PASS; this value is not such a name, and is not shown, in case it is the password itself; " + fix
		}
	case "api-user":
		if strings.Contains(value, ":") {
			return where + ` has a ":", as a user:password pair has; it is not shown, in case it holds a password: give the API user alone; ` + fix
		}
	case "url":
		u, err := url.Parse(value)
		if err != nil {
			return ""
		}
		if u.User != nil {
			if _, has := u.User.Password(); has {
				return where + ": holds a password: " + fix
			}
		}
		for k := range u.Query() {
			if isPasswordKey(k) {
				return fmt.Sprintf("%s: holds a password (its ?%s= parameter), which would be dropped without a word: give the server's address alone; %s", where, k, fix)
			}
		}
	}
	return ""
}

// looksSecret reports whether a value may be a password written in the
// wrong place, and so is not quoted in a message: six characters or more
// that mix letters and digits, or cases, or have a sign.
func looksSecret(v string) bool {
	if len(v) < 6 {
		return false
	}
	var lower, upper, digit, sign bool
	for _, r := range v {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case r != ' ' && r != '-' && r != '_' && r != '.' && r != '/':
			sign = true
		}
	}
	return sign || (lower || upper) && digit || lower && upper
}

// closestName returns the name in names that s probably means (the same
// but for case, - and _, or one or two edits away), or "".
func closestName(s string, names []string) string {
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(x)), "-", "_") }
	c := norm(s)
	best, bestD := "", 1<<30
	for _, n := range names {
		d := words.Distance(c, norm(n))
		limit := 1
		if len(c) >= 6 {
			limit = 2
		}
		if d <= limit && d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// yamlLine splits a yaml error "yaml: line N: MSG" into N and MSG.
func yamlLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				return n, rest[i+2:]
			}
		}
	}
	return 0, msg
}
