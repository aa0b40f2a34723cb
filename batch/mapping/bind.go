package mapping

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Binder applies a mapping to the rows of one input: the mapping bound to
// the input's header, every column resolved to its index. It holds no
// state that Apply changes, so one Binder may serve several goroutines.
type Binder struct {
	fields   []string
	rules    []boundRule // aligned with fields
	first    *boundRule  // first_name, nil when from agent_full_name
	last     *boundRule  // last_name, nil when from agent_full_name
	fullName int         // index in rules of agent_full_name; -1 when none
}

// Mapped is one row's fields, as the mapping makes them.
type Mapped struct {
	Values       []string // aligned with Binder.Fields
	LoginPattern string   // non-empty when this row's login is to be generated: the pattern, placeholders in lower case
	First, Last  string   // the name parts: first_name and last_name, or else the first and last word of agent_full_name
}

// boundExpr is an expr with its columns resolved.
type boundExpr struct {
	kind  exprKind
	text  string // the constant
	col   int    // the column's 0-based index
	parts []boundPart
}

// boundPart is a template's part with its columns resolved.
type boundPart struct {
	lit  string
	cols []int // nil for literal text
}

// boundRule is a rule with its columns resolved.
type boundRule struct {
	field   string
	kind    ruleKind
	src     boundExpr
	hasSrc  bool
	keys    []string       // the map's keys
	index   map[string]int // lower-case key -> index in keys, for a long map
	vals    []boundExpr
	def     *boundExpr
	pattern string
	// For a ValueError.
	column  int    // 1-based index of the source column; 0 if none
	source  string // the source column, or template, for a message
	keyList string // the map's keys, for a message
	secret  bool   // never quote the value
}

// linearMax is the size up to which a map is searched key by key: for a
// few keys faster than hashing a lower-cased copy of the value.
const linearMax = 8

// maxListed is how many names a message lists before "... N more".
const maxListed = 30

// Bind binds the mapping to an input's header (the cells of its header
// row, as written): every column the mapping names (in a value, a
// template, from or key) must be in the header, matched ignoring case and
// spaces around it; a missing one is reported with its mapping line, the
// closest header cell and the header's cells, all in one Errors. A header
// cell whose name is a field (source_user meaning template), or
// first_name or last_name, that the mapping does not set is that field's
// value as it is.
func (m *Mapping) Bind(header []string) (*Binder, error) {
	bd := &binding{m: m, header: header, index: map[string]int{}, reported: map[string]bool{}}
	for i, h := range header {
		n := normaliseColumn(h)
		if _, dup := bd.index[n]; !dup && n != "" {
			bd.index[n] = i
		}
	}
	b := &Binder{fullName: -1}
	if m.key != "" {
		bd.column(m.key, m.keyLine, false) // the key column must be in the header
	}
	identity := map[string]int{}
	for i, h := range header {
		f := normaliseField(h)
		if _, dup := identity[f]; !dup && m.rules[f] == nil {
			identity[f] = i
		}
	}
	bindField := func(f string) (boundRule, bool) {
		if r := m.rules[f]; r != nil {
			return bd.rule(r), true
		}
		if i, ok := identity[f]; ok {
			name := strings.TrimSpace(header[i])
			return boundRule{field: f, src: boundExpr{kind: exprColumn, col: i}, hasSrc: true, column: i + 1, source: name}, true
		}
		return boundRule{}, false
	}
	for _, f := range m.fields {
		if r, ok := bindField(f); ok {
			if f == fullNameField {
				b.fullName = len(b.rules)
			}
			b.fields = append(b.fields, f)
			b.rules = append(b.rules, r)
		}
	}
	if r, ok := bindField(FirstNameField); ok {
		b.first = &r
	}
	if r, ok := bindField(LastNameField); ok {
		b.last = &r
	}
	if len(bd.errs) > 0 {
		slices.SortStableFunc(bd.errs, func(a, b *Error) int { return a.Line - b.Line })
		return nil, bd.errs
	}
	return b, nil
}

// binding is the state of one Bind.
type binding struct {
	m        *Mapping
	header   []string
	index    map[string]int // normalised header cell -> first index
	errs     Errors
	reported map[string]bool // "line/column" already reported
}

// column returns the index of the column name, or reports it missing at
// line and returns -1; plain says the name was a plain string in the file.
func (bd *binding) column(name string, line int, plain bool) int {
	if i, ok := bd.index[normaliseColumn(name)]; ok {
		return i
	}
	id := fmt.Sprintf("%d/%s", line, normaliseColumn(name))
	if bd.reported[id] {
		return -1
	}
	bd.reported[id] = true
	var cells []string
	for _, h := range bd.header {
		cells = append(cells, strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
	}
	msg := fmt.Sprintf("column %q is not in the input's header", name)
	if c := closest(name, cells); c != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", c)
	} else if plain {
		msg += fmt.Sprintf(" (for the constant %q, write {value: %q})", name, name)
	}
	msg += "; the header has: " + listNames(cells)
	bd.errs = append(bd.errs, &Error{File: bd.m.file, Line: line, Msg: msg})
	return -1
}

// listNames joins names for a message, cut short when long.
func listNames(names []string) string {
	if len(names) > maxListed {
		return strings.Join(names[:maxListed], ", ") + fmt.Sprintf(", ... %d more", len(names)-maxListed)
	}
	return strings.Join(names, ", ")
}

// expr resolves the columns of e.
func (bd *binding) expr(e expr) boundExpr {
	switch e.kind {
	case exprConst:
		return boundExpr{kind: exprConst, text: e.text}
	case exprColumn:
		return boundExpr{kind: exprColumn, col: bd.column(e.text, e.line, e.plain)}
	}
	out := boundExpr{kind: exprTemplate, parts: make([]boundPart, len(e.parts))}
	for i, p := range e.parts {
		out.parts[i].lit = p.lit
		if p.cols != nil {
			out.parts[i].cols = make([]int, len(p.cols))
			for j, c := range p.cols {
				out.parts[i].cols[j] = bd.column(c, e.line, false)
			}
		}
	}
	return out
}

// rule resolves the columns of r.
func (bd *binding) rule(r *rule) boundRule {
	out := boundRule{field: r.field, kind: r.kind, hasSrc: r.hasSrc, pattern: r.pattern,
		secret: r.field == passField || r.field == phonePassField}
	if r.hasSrc {
		out.src = bd.expr(r.src)
		switch r.src.kind {
		case exprColumn:
			if out.src.col >= 0 {
				out.column = out.src.col + 1
				out.source = strings.TrimSpace(bd.header[out.src.col])
			}
		case exprTemplate:
			out.source = fmt.Sprintf("the template %q", r.src.text)
			for _, p := range out.src.parts {
				if len(p.cols) > 0 && p.cols[0] >= 0 {
					out.column = p.cols[0] + 1
					break
				}
			}
		}
	}
	if r.def != nil {
		d := bd.expr(*r.def)
		out.def = &d
	}
	if r.kind == ruleMap {
		out.keys = r.keys
		out.vals = make([]boundExpr, len(r.vals))
		for i, v := range r.vals {
			out.vals[i] = bd.expr(v)
		}
		if len(r.keys) > linearMax {
			out.index = make(map[string]int, len(r.keys))
			for i, k := range r.keys {
				out.index[strings.ToLower(k)] = i
			}
		}
		if out.secret {
			out.keyList = fmt.Sprintf("%d keys", len(r.keys))
		} else {
			out.keyList = listNames(r.keys)
		}
	}
	return out
}

// Fields returns the fields Apply's Values are aligned with: those the
// mapping sets and those the header has, in the order of the fields given
// to Parse.
func (b *Binder) Fields() []string { return b.fields }

// Apply maps one row: cells are aligned with the header given to Bind (a
// short row reads as empty cells). Its error, a *ValueError, is for a
// value a map lacks; the Mapped returned with it holds the other values.
func (b *Binder) Apply(cells []string) (Mapped, error) {
	out := Mapped{Values: make([]string, len(b.rules))}
	var err error
	for i := range b.rules {
		r := &b.rules[i]
		if r.kind == ruleGenerate {
			v := ""
			if r.hasSrc {
				v = r.src.eval(cells)
			}
			if v == "" && r.field != passField {
				// An empty agent_pass is generated by the pipeline.
				out.LoginPattern = r.pattern
			}
			out.Values[i] = v
			continue
		}
		v, verr := r.eval(cells)
		if verr != nil && err == nil {
			err = verr
		}
		out.Values[i] = v
	}
	full := ""
	if b.fullName >= 0 {
		full = out.Values[b.fullName]
	}
	if b.first != nil {
		v, verr := b.first.eval(cells)
		if verr != nil && err == nil {
			err = verr
		}
		out.First = v
	}
	if b.last != nil {
		v, verr := b.last.eval(cells)
		if verr != nil && err == nil {
			err = verr
		}
		out.Last = v
	}
	if out.First == "" {
		out.First = firstWord(full)
	}
	if out.Last == "" {
		out.Last = lastWord(full)
	}
	return out, err
}

// eval returns the rule's value for a row.
func (r *boundRule) eval(cells []string) (string, error) {
	v := ""
	if r.hasSrc {
		v = r.src.eval(cells)
	}
	if v == "" {
		if r.def != nil {
			return r.def.eval(cells), nil
		}
		return "", nil
	}
	if r.kind != ruleMap {
		return v, nil
	}
	if j := r.lookup(v); j >= 0 {
		return r.vals[j].eval(cells), nil
	}
	if r.def != nil {
		return r.def.eval(cells), nil
	}
	return "", r.valueError(v)
}

// lookup returns the index of the map's key v is (ignoring case), or -1.
func (r *boundRule) lookup(v string) int {
	if r.index != nil {
		if j, ok := r.index[strings.ToLower(v)]; ok {
			return j
		}
		return -1
	}
	for j, k := range r.keys {
		if strings.EqualFold(k, v) {
			return j
		}
	}
	return -1
}

// valueError says that the map has no key v.
func (r *boundRule) valueError(v string) *ValueError {
	what := fmt.Sprintf("%s %q", r.source, v)
	if r.secret {
		what = "the value of " + r.source
	}
	return &ValueError{Column: r.column, Field: r.field,
		Msg: fmt.Sprintf("%s: %s is not in the map (%s), which has no default: add it to the map, or give a default",
			r.field, what, r.keyList)}
}

// eval returns the expression's value for a row.
func (e *boundExpr) eval(cells []string) string {
	switch e.kind {
	case exprConst:
		return e.text
	case exprColumn:
		return cellAt(cells, e.col)
	}
	var buf [128]byte
	b := buf[:0]
	space := false
	for i := range e.parts {
		p := &e.parts[i]
		if p.cols == nil {
			b = appendCollapsed(b, p.lit, &space)
			continue
		}
		for _, c := range p.cols {
			if v := cellAt(cells, c); v != "" {
				b = appendCollapsed(b, v, &space)
				break
			}
		}
	}
	return string(b)
}

// cellAt returns cells[i], trimmed, or "" past the end.
func cellAt(cells []string, i int) string {
	if i >= 0 && i < len(cells) {
		return strings.TrimSpace(cells[i])
	}
	return ""
}

// firstWord returns the first word of s.
func firstWord(s string) string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i]
	}
	return s
}

// lastWord returns the last word of s (the only one, when it has one).
func lastWord(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	if i := strings.LastIndexFunc(s, unicode.IsSpace); i >= 0 {
		_, n := utf8.DecodeRuneInString(s[i:])
		return s[i+n:]
	}
	return s
}
