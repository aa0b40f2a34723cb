// Package mapping reads a --map file: a YAML mapping that turns the columns
// of an HR export into the fields VICIdial's API takes, so that HR's file
// is used as it is.
//
// The file is one YAML mapping whose keys are VICIdial field names (those
// the caller allows: agent_user, agent_full_name, email...; source_user is
// another name for template) and three pseudo-fields: key (the column that
// identifies a person across exports, as --key), first_name and last_name
// (the name parts of a generated login; by default the first and last word
// of agent_full_name). For example:
//
//	key: Employee ID
//	first_name: "{Preferred Name|First Name}"
//	last_name: Last Name
//	agent_full_name: "{Preferred Name|First Name} {Last Name}"
//	agent_user: {generate: "{f}{last}"}
//	agent_pass: {generate: password}
//	agent_user_level: 1
//	agent_user_group: {from: Department, map: {Sales: SALES, "Customer Care": SUPPORT}, default: AGENTS}
//	template: {from: Job Title, map: {"Team Lead": tmplsup}, default: ""}
//	email: Work Email
//	phone_login: Phone Extension
//	custom_one: {value: "Hired {Hire Date}"}
//
// A field's value is one of:
//
//   - a string: the name of a column (matched ignoring case and spaces
//     around it), whose value is trimmed; or a template when it holds
//     braces: {Col} is the column's value, {A|B} the first of the columns
//     A, B that is not empty, text around them is kept, {{ and }} are
//     literal braces; the result has its runs of spaces made one and is
//     trimmed.
//   - a number or a boolean: a constant (true and false are 1 and 0, or Y
//     and N for the field active). A number is kept as written: 0123 stays
//     0123.
//   - {value: X}: the constant X, or a template when X holds braces.
//   - {from: COLUMN-or-template, map: {HR value: VICIdial value, ...},
//     default: X}: a value map. The source value is looked up among the
//     map's keys, ignoring case and spaces around; an empty source value
//     gives the default (empty when there is none); a value the map does
//     not have gives the default, or makes the row invalid when the map
//     has no default key (a *ValueError). map and default are both
//     optional: {from: Col, default: X} is the column, or X when it is
//     empty. The map's values and the default may be templates too.
//   - {generate: PATTERN} on agent_user only: the login is made from the
//     name parts by PATTERN, which holds the placeholders {first}, {last},
//     {f} (the first letter of first) and {l} (the first letter of last),
//     and around them only letters, digits, - and _ (VICIdial deletes any
//     other character from a login). {generate: password} on agent_pass
//     only: a password is generated. Either may have from: COLUMN, whose
//     value is used when it is not empty.
//
// One more key is no field: phones: holds the settings every phone of the
// job shares (server_ip:, extensions: 7000-7999...), for rows that ask for
// a phone of the agent's own; the mapping keeps it as written (Phones),
// for the caller to read.
//
// A header column whose name (ignoring case and spaces around) is a field
// the mapping does not set is used for that field as it is, so a mapping
// only names what differs from the header. Every problem of the file is
// reported at once, each with its line: Parse checks the file alone, Bind
// checks it against the input's header.
package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vicionboard/vicionboard/batch/textfile"
)

// The pseudo-fields: keys of a mapping that are not VICIdial fields.
const (
	KeyField       = "key"        // the person-key column
	FirstNameField = "first_name" // the first name, for a generated login
	LastNameField  = "last_name"  // the last name, for a generated login
	// PhonesKey is the key of the job's phone settings: no field.
	PhonesKey = "phones"
)

// Fields the package treats specially.
const (
	loginField      = "agent_user"
	passField       = "agent_pass"
	fullNameField   = "agent_full_name"
	templateField   = "template"
	sourceUserAlias = "source_user"
	activeField     = "active"
	phonePassField  = "phone_pass"
)

// GeneratePassword is the only pattern {generate: ...} takes on agent_pass.
const GeneratePassword = "password"

// Error is a problem of a mapping file at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

// Error returns "FILE:LINE: MSG".
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is every problem found in a mapping file, in line order. Parse
// and Bind return one when anything is wrong.
type Errors []*Error

// Error returns the problems one a line.
func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the problems, for errors.As to find an *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// ValueError is a row's value that the mapping cannot turn into a field's
// value: one a value map does not have, when the map has no default.
type ValueError struct {
	Column int    // 1-based index in the header of the source column; 0 if none
	Field  string // the field (or first_name, last_name)
	Msg    string // what is wrong, naming the value (never a password), the field, the column and the map's keys
}

// Error returns Msg.
func (e *ValueError) Error() string { return e.Msg }

// exprKind says what an expr is.
type exprKind uint8

const (
	exprConst    exprKind = iota // a constant
	exprColumn                   // a column's value, trimmed
	exprTemplate                 // a template
)

// expr is a value as the mapping file writes it.
type expr struct {
	kind  exprKind
	text  string // the constant; the column name; the template as written
	parts []part // a template's parts
	line  int
	plain bool // a plain string in the file (a column name a constant may have been meant for)
}

// part is a piece of a template: literal text, or the first non-empty of
// some columns.
type part struct {
	lit  string
	cols []string
}

// ruleKind says how a field's value is made.
type ruleKind uint8

const (
	ruleValue    ruleKind = iota // an expr
	ruleMap                      // a value map on an expr
	ruleGenerate                 // generated, unless from gives a value
)

// rule is how the mapping makes one field's value.
type rule struct {
	field   string
	line    int
	kind    ruleKind
	src     expr // the value, or from:
	hasSrc  bool
	keys    []string // the map's keys, trimmed, as written
	vals    []expr   // the map's values, aligned with keys
	def     *expr    // default:, nil when absent
	pattern string   // agent_user's login pattern, canonical; GeneratePassword for agent_pass
}

// Mapping is a parsed mapping file.
type Mapping struct {
	file    string
	fields  []string // the fields allowed, normalised, in the caller's order
	key     string
	keyLine int
	rules   map[string]*rule // by field, pseudo-fields first_name and last_name included
	phones  *yaml.Node       // phones:, as written; nil when absent
}

// Phones returns the mapping's phones: as written (a YAML node whose
// lines are the file's), or nil when it has none.
func (m *Mapping) Phones() *yaml.Node { return m.phones }

// Load reads and parses the mapping file at path; see Parse. A file that
// is not a regular file, is larger than textfile.MaxSize, or is not UTF-8
// is refused (as Errors, naming the line of a byte that is not UTF-8)
// before it is read into memory.
func Load(path string, fields []string) (*Mapping, error) {
	data, err := textfile.Read(path, "mapping")
	var refused *textfile.Error
	if errors.As(err, &refused) {
		msg := refused.Msg
		if refused.Column > 0 {
			msg = fmt.Sprintf("column %d: %s", refused.Column, msg)
		}
		return nil, Errors{{File: path, Line: refused.Line, Msg: msg}}
	}
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return Parse(data, path, fields)
}

// File returns the name of the mapping file, as given to Parse or Load.
func (m *Mapping) File() string { return m.file }

// KeyColumn returns the person-key column the mapping names, as written,
// or "" when it names none.
func (m *Mapping) KeyColumn() string { return m.key }

// GeneratesLogin reports whether agent_user is {generate: ...}: some rows'
// logins are to be made from the name parts.
func (m *Mapping) GeneratesLogin() bool {
	r := m.rules[loginField]
	return r != nil && r.kind == ruleGenerate
}

// normaliseField returns a field name or header cell as fields are
// compared: lower-case, trimmed, source_user read as template.
func normaliseField(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF")))
	if s == sourceUserAlias {
		return templateField
	}
	return s
}

// normaliseColumn returns a column name as columns are compared: lower-case
// and trimmed.
func normaliseColumn(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF")))
}

// parser collects the problems of one file.
type parser struct {
	file   string
	errs   Errors
	fields map[string]bool
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Parse parses the mapping file data, named file in every message; fields
// are the VICIdial field names a mapping may set (batch passes the csv
// tags of batch.Fields). It checks all it can without the input's header
// and returns every problem at once, as Errors.
func Parse(data []byte, file string, fields []string) (*Mapping, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlErrorLine(err)
		return nil, Errors{{File: file, Line: line, Msg: msg}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	return ParseNode(root, file, fields)
}

// ParseNode is Parse of a mapping already read as YAML: the map: of a
// profile, say. file names the file the node was read from; errors give
// the node's lines in it.
func ParseNode(root *yaml.Node, file string, fields []string) (*Mapping, error) {
	p := &parser{file: file, fields: map[string]bool{}}
	m := &Mapping{file: file, rules: map[string]*rule{}}
	for _, f := range fields {
		n := normaliseField(f)
		if n != "" && !p.fields[n] {
			p.fields[n] = true
			m.fields = append(m.fields, n)
		}
	}
	root = deref(root)
	if root == nil || root.Kind == 0 || root.Kind == yaml.DocumentNode || (root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		p.errorf(1, "the mapping is empty: write one line per field, e.g. agent_full_name: \"{First Name} {Last Name}\" (vicionboard template --map FILE.yaml writes a starter)")
		return nil, p.errs
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root.Line, "a mapping file is a YAML mapping of field: value lines, not a %s", kindName(root))
		return nil, p.errs
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := deref(root.Content[i]), deref(root.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		name := normaliseField(k.Value)
		if k.Kind != yaml.ScalarNode || name == "" {
			p.errorf(k.Line, "a key must be a field name")
			continue
		}
		if first, dup := seen[name]; dup {
			p.errorf(k.Line, "%s is set twice (also on line %d)", name, first)
			continue
		}
		seen[name] = k.Line
		switch {
		case name == KeyField:
			p.parseKey(m, k, v)
		case name == PhonesKey:
			m.phones = v
		case name == FirstNameField || name == LastNameField || p.fields[name]:
			if r := p.parseRule(name, k, v); r != nil {
				m.rules[name] = r
			}
		default:
			p.unknownField(k, m.fields)
		}
	}
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b *Error) int { return a.Line - b.Line })
		return nil, p.errs
	}
	return m, nil
}

// unknownField reports a key that is no field, naming the closest.
func (p *parser) unknownField(k *yaml.Node, fields []string) {
	names := append([]string{KeyField, FirstNameField, LastNameField}, fields...)
	msg := fmt.Sprintf("%q is not a field", strings.TrimSpace(k.Value))
	if c := closest(k.Value, names); c != "" {
		msg += fmt.Sprintf(": did you mean %s?", c)
	} else {
		msg += " (the fields: " + strings.Join(names, ", ") + ")"
	}
	p.errorf(k.Line, "%s", msg)
}

// parseKey reads key: a column name.
func (p *parser) parseKey(m *Mapping, k, v *yaml.Node) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
		p.errorf(k.Line, "key: name the column that identifies a person, e.g. key: Employee ID")
		return
	}
	if strings.ContainsAny(v.Value, "{}") {
		p.errorf(v.Line, "key: name one column, not a template")
		return
	}
	m.key, m.keyLine = strings.TrimSpace(v.Value), v.Line
}

// options of a {...} value.
var ruleOptions = []string{"value", "from", "map", "default", "generate"}

// parseRule reads one field's value.
func (p *parser) parseRule(field string, k, v *yaml.Node) *rule {
	r := &rule{field: field, line: k.Line}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			p.errorf(k.Line, "%s: no value: name a column, or write {value: \"\"} for an empty constant", field)
			return nil
		}
		if v.Tag == "!!str" && strings.TrimSpace(v.Value) == "" {
			p.errorf(v.Line, "%s: an empty column name: name a column, or write {value: \"\"} for an empty constant", field)
			return nil
		}
		e, ok := p.scalarExpr(field, v, true)
		if !ok {
			return nil
		}
		r.src, r.hasSrc = e, true
		return r
	case yaml.MappingNode:
	default:
		p.errorf(v.Line, "%s: a %s is not a value: write a column name, a constant, or {from: ..., map: {...}}", field, kindName(v))
		return nil
	}

	opts := map[string]*yaml.Node{}
	ok := true
	for i := 0; i+1 < len(v.Content); i += 2 {
		ok2, ov := deref(v.Content[i]), deref(v.Content[i+1])
		if ok2 == nil || ov == nil {
			continue
		}
		name := strings.ToLower(strings.TrimSpace(ok2.Value))
		if !slices.Contains(ruleOptions, name) {
			msg := fmt.Sprintf("%s: %q is not an option of a value", field, strings.TrimSpace(ok2.Value))
			if c := closest(name, ruleOptions); c != "" {
				msg += fmt.Sprintf(": did you mean %s?", c)
			} else {
				msg += " (value, from, map, default, generate)"
			}
			p.errorf(ok2.Line, "%s", msg)
			ok = false
			continue
		}
		if _, dup := opts[name]; dup {
			p.errorf(ok2.Line, "%s: %s is given twice", field, name)
			ok = false
			continue
		}
		opts[name] = ov
	}
	if !ok {
		return nil
	}
	if len(opts) == 0 {
		p.errorf(v.Line, "%s: {} is no value: write {value: X}, {from: COLUMN, map: {...}} or a column name", field)
		return nil
	}
	if gen, has := opts["generate"]; has {
		return p.parseGenerate(r, gen, opts)
	}
	if val, has := opts["value"]; has {
		if len(opts) > 1 {
			p.errorf(val.Line, "%s: value is a constant: it takes no from, map or default", field)
			return nil
		}
		e, ok := p.optionExpr(field, "value", val)
		if !ok {
			return nil
		}
		r.src, r.hasSrc = e, true
		return r
	}
	from, has := opts["from"]
	if !has {
		p.errorf(v.Line, "%s: map and default need from: the column whose value is looked up", field)
		return nil
	}
	src, good := p.fromExpr(field, from)
	r.src, r.hasSrc = src, true
	if mp, has := opts["map"]; has {
		r.kind = ruleMap
		good = p.parseMap(r, mp) && good
	}
	if d, has := opts["default"]; has {
		e, ok := p.optionExpr(field, "default", d)
		good = ok && good
		r.def = &e
	}
	if !good {
		return nil
	}
	return r
}

// fromExpr reads from: a column name or a template, never empty.
func (p *parser) fromExpr(field string, n *yaml.Node) (expr, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		p.errorf(n.Line, "%s: from is empty: name the column the value comes from", field)
		return expr{}, false
	}
	if n.Tag != "!!str" {
		p.errorf(n.Line, "%s: from names a column: for a constant, write {value: %s}", field, n.Value)
		return expr{}, false
	}
	return p.scalarExpr(field, n, true)
}

// optionExpr reads value: or default: (or a map's value): a constant, or
// a template when it holds braces; empty when null.
func (p *parser) optionExpr(field, option string, n *yaml.Node) (expr, bool) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n.Line, "%s: %s: a %s is not a value: write a constant, e.g. \"\" or AGENTS", field, option, kindName(n))
		return expr{}, false
	}
	if n.Tag == "!!null" {
		return expr{kind: exprConst, line: n.Line}, true
	}
	return p.scalarExpr(field, n, false)
}

// scalarExpr reads a scalar: a string is a column name (plain) or a
// constant (not plain), a template when it holds braces; a number or a
// boolean a constant.
func (p *parser) scalarExpr(field string, n *yaml.Node, plain bool) (expr, bool) {
	switch n.Tag {
	case "!!str":
	case "!!bool":
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return expr{kind: exprConst, text: n.Value, line: n.Line}, true
		}
		return expr{kind: exprConst, text: boolText(field, b), line: n.Line}, true
	default:
		return expr{kind: exprConst, text: n.Value, line: n.Line}, true
	}
	if !strings.ContainsAny(n.Value, "{}") {
		if plain {
			return expr{kind: exprColumn, text: strings.TrimSpace(n.Value), line: n.Line, plain: true}, true
		}
		return expr{kind: exprConst, text: n.Value, line: n.Line}, true
	}
	parts, msg := parseTemplate(n.Value)
	if msg != "" {
		p.errorf(n.Line, "%s: template %q: %s", field, n.Value, msg)
		return expr{}, false
	}
	if len(parts) == 1 && parts[0].cols == nil {
		// Braces, but only escaped ones: a constant.
		return expr{kind: exprConst, text: string(appendCollapsed(nil, parts[0].lit, new(bool))), line: n.Line}, true
	}
	return expr{kind: exprTemplate, text: n.Value, parts: parts, line: n.Line}, true
}

// boolText is the constant a YAML boolean stands for: Y or N for active, 1
// or 0 for the other fields.
func boolText(field string, b bool) string {
	switch {
	case field == activeField && b:
		return "Y"
	case field == activeField:
		return "N"
	case b:
		return "1"
	}
	return "0"
}

// parseMap reads map: {HR value: VICIdial value, ...}.
func (p *parser) parseMap(r *rule, n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, "%s: map is a mapping of HR values to VICIdial values, e.g. {Sales: SALES, \"Customer Care\": SUPPORT}", r.field)
		return false
	}
	ok := true
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		key := strings.TrimSpace(k.Value)
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errorf(k.Line, "%s: a key of map must be a value, not a %s", r.field, kindName(k))
			ok = false
			continue
		case key == "" || k.Tag == "!!null":
			p.errorf(k.Line, "%s: an empty key of map never matches: an empty value gives the default", r.field)
			ok = false
			continue
		}
		fold := strings.ToLower(key)
		if first, dup := seen[fold]; dup {
			p.errorf(k.Line, "%s: %q is in map twice (also on line %d; keys are matched ignoring case)", r.field, key, first)
			ok = false
			continue
		}
		seen[fold] = k.Line
		e, good := p.optionExpr(r.field, "map", v)
		if !good {
			ok = false
			continue
		}
		r.keys = append(r.keys, key)
		r.vals = append(r.vals, e)
	}
	return ok
}

// parseGenerate reads {generate: ...} on agent_user or agent_pass.
func (p *parser) parseGenerate(r *rule, gen *yaml.Node, opts map[string]*yaml.Node) *rule {
	switch r.field {
	case loginField, passField:
	default:
		p.errorf(gen.Line, "%s: generate is only for agent_user ({generate: \"{f}{last}\"}) and agent_pass ({generate: password})", r.field)
		return nil
	}
	good := true
	for _, o := range []string{"value", "map", "default"} {
		if n, has := opts[o]; has {
			p.errorf(n.Line, "%s: generate takes only from (the column used when it is not empty), not %s", r.field, o)
			good = false
		}
	}
	r.kind = ruleGenerate
	if from, has := opts["from"]; has {
		src, ok := p.fromExpr(r.field, from)
		r.src, r.hasSrc = src, ok
		good = good && ok
	}
	if gen.Kind != yaml.ScalarNode || gen.Tag == "!!null" || gen.Value == "" {
		if r.field == passField {
			p.errorf(gen.Line, "agent_pass: write {generate: password}")
		} else {
			p.errorf(gen.Line, "agent_user: generate needs a login pattern, e.g. {generate: \"{f}{last}\"}")
		}
		return nil
	}
	if r.field == passField {
		if strings.ToLower(strings.TrimSpace(gen.Value)) != GeneratePassword {
			p.errorf(gen.Line, "agent_pass: generate takes only password: write {generate: password}")
			return nil
		}
		r.pattern = GeneratePassword
	} else {
		pattern, msg := checkPattern(gen.Value)
		if msg != "" {
			p.errorf(gen.Line, "agent_user: login pattern %q: %s", gen.Value, msg)
			return nil
		}
		r.pattern = pattern
	}
	if !good {
		return nil
	}
	return r
}

// deref follows an alias to its anchor's node.
func deref(n *yaml.Node) *yaml.Node {
	for range 10 {
		if n == nil || n.Kind != yaml.AliasNode {
			return n
		}
		n = n.Alias
	}
	return nil
}

// kindName names a node's kind in a message.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		return "single value"
	}
	return "value"
}

// yamlErrorLine splits a yaml error "yaml: line N: MSG" into N and MSG.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				return n, "not valid YAML: " + rest[i+2:]
			}
		}
	}
	return 0, "not valid YAML: " + msg
}

// NameColumns returns the input columns that name a person, as the mapping
// reads them: for each part of the full name, the columns that give it, the
// first not empty winning ({Preferred Name|First Name} {Last Name} gives
// [[Preferred Name, First Name], [Last Name]]). They come from
// agent_full_name, else from first_name and last_name; none when the
// mapping leaves the full name to the header's own agent_full_name column.
// A report uses them to name the person of a row the mapping could not
// map.
func (m *Mapping) NameColumns() [][]string {
	if r := m.rules[fullNameField]; r != nil && r.hasSrc {
		return r.src.columns()
	}
	var out [][]string
	for _, f := range []string{FirstNameField, LastNameField} {
		if r := m.rules[f]; r != nil && r.hasSrc {
			out = append(out, r.src.columns()...)
		}
	}
	return out
}

// columns returns the columns e reads, as NameColumns groups them.
func (e expr) columns() [][]string {
	switch e.kind {
	case exprColumn:
		return [][]string{{e.text}}
	case exprTemplate:
		var out [][]string
		for _, p := range e.parts {
			if len(p.cols) > 0 {
				out = append(out, slices.Clone(p.cols))
			}
		}
		return out
	}
	return nil
}
