package batch

import (
	"context"
	"fmt"
	"strings"

	"github.com/vicionboard/vicionboard/batch/naming"
	"github.com/vicionboard/vicionboard/vicidial"
)

// Generating says how a run or a dry run generates what HR does not give:
// a password for every row whose agent_pass is empty, and a login for
// every row whose mapping gives a login pattern (Row.Gen).
type Generating struct {
	// Password returns the password of the person with this key. It must
	// give the same password every time for the same person, so that a
	// run killed after its request and started again shows, in its result
	// file, the password the server holds (batch/ledger derives it from a
	// secret key beside the ledger). Nil: an empty agent_pass is INVALID.
	Password func(personKey string) string
	// Reserved holds the logins the input names explicitly (the planning
	// pass collects them): a generated login never takes one, even from a
	// row further down the file.
	Reserved *LoginIndex
}

// placeholderLogin stands for a generated login where none is chosen: in
// the planning pass, and in a row whose login cannot be generated (it is
// INVALID, and never sent). A valid login that no pattern can give (they
// give lower case only).
const placeholderLogin = "Generated-Login"

// maxSuffix bounds the suffixes a generated login tries: jsmith,
// jsmith2 ... jsmith99.
const maxSuffix = 99

// loginLookup reports whether a login exists on the server; nil when the
// server cannot be asked (an offline dry run, or an API user without
// user_details).
type loginLookup func(ctx context.Context, login string) (exists bool, err error)

// generator fills in a row's generated login and password, for a run or a
// dry run. Not safe for concurrent use (rows are triaged one at a time).
type generator struct {
	cfg      Generating
	keys     *Keyer
	ledger   Ledger
	server   string
	lookup   loginLookup
	patterns map[string]naming.Pattern
}

func newGenerator(cfg Generating, keys *Keyer, ledger Ledger, server string, lookup loginLookup) *generator {
	return &generator{cfg: cfg, keys: keys, ledger: ledger, server: server, lookup: lookup,
		patterns: map[string]naming.Pattern{}}
}

// fill returns row with its generated login and password in Fields, or
// the row's outcome when the ledger or the server could not be asked. A
// login that cannot be generated (a name with no letter VICIdial keeps, no
// person key, every suffix taken) is a problem screen reports with the
// row's others: the row carries it, and a placeholder login. logins holds
// the logins this run gave out so far. A row that is unreadable, or done
// in an earlier run, is returned as it is.
func (g *generator) fill(ctx context.Context, row Row, logins *LoginIndex) (Row, *Outcome) {
	if row.Err != nil || (row.Prior != nil && Status(row.Prior.Status).Done()) {
		return row, nil
	}
	var warnings []string
	if row.Gen.LoginPattern != "" && row.Fields.Login == "" {
		login, warning, problem, out := g.login(ctx, row, logins)
		switch {
		case out != nil:
			return row, out
		case problem != "":
			// Validation goes on with a placeholder, to name the row's
			// other problems too; screen reports this one first.
			login, row.Gen.problem = placeholderLogin, problem
		}
		row.Fields.Login = login
		if warning != "" {
			warnings = append(warnings, warning)
		}
	} else {
		row.Gen.LoginPattern = "" // the row names its login
	}
	if row.Fields.Pass == "" && g.cfg.Password != nil {
		if key := g.keys.early(row); key != "" {
			row.Fields.Pass = g.cfg.Password(key)
			row.Gen.password = true
		}
	}
	row.Gen.warnings = warnings
	return row, nil
}

// login chooses the login of a row whose login is generated: the one the
// ledger holds for the person, or the pattern's first free one (jsmith,
// jsmith2, ...). A login is free when no row of this run took it, the
// input does not name it, no other person's record in the ledger holds
// it, and the server does not have it.
//
// It returns the login and a warning; or the problem that makes the row
// INVALID; or the outcome of a row that could not be decided (the ledger
// or the server could not be asked).
func (g *generator) login(ctx context.Context, row Row, logins *LoginIndex) (login, warning, problem string, out *Outcome) {
	key := g.keys.early(row)
	if !g.keys.HasColumn() || key == "" {
		return "", "", "a generated login needs the person's key (the mapping's key: column, or --key): " +
			"it is how the same person gets the same login on every run; this row's key cell is empty", nil
	}
	p, known, err := g.ledger.Person(context.WithoutCancel(ctx), g.server, key)
	if err != nil {
		return "", "", "", ledgerUnread(err)
	}
	if known && p.Login != "" {
		return p.Login, "", "", nil
	}
	pattern, err := g.pattern(row.Gen.LoginPattern)
	if err == nil {
		var base string
		if base, err = pattern.Login(row.Gen.First, row.Gen.Last); err == nil {
			return g.free(ctx, base, key, logins)
		}
	}
	return "", "", fmt.Sprintf("no login can be generated from %s: %v", row.Gen.LoginPattern, err), nil
}

// ledgerUnread is the outcome of a row whose ledger record could not be
// read.
func ledgerUnread(err error) *Outcome {
	return &Outcome{Status: StatusNotAttempted, Code: CodeNotAttempted,
		Reason: fmt.Sprintf("not sent: the ledger could not be read: %v (%s)", err, CodeNotAttempted)}
}

// free returns the first free login of base and its suffixes, with a
// warning naming the logins skipped and why (see login).
func (g *generator) free(ctx context.Context, base, key string, logins *LoginIndex) (login, warning, problem string, out *Outcome) {
	var skipped []string
	for n := 1; n <= maxSuffix; n++ {
		login := naming.WithSuffix(base, n)
		why := ""
		switch {
		case logins.Seen(login):
			why = "another row of this file"
		case g.cfg.Reserved != nil && g.cfg.Reserved.Seen(login):
			why = "named by a row of this file"
		}
		if why == "" {
			holder, taken, err := g.ledger.LoginHolder(context.WithoutCancel(ctx), g.server, login)
			if err != nil {
				return "", "", "", ledgerUnread(err)
			}
			if taken && holder != key {
				why = "another person in the ledger"
			}
		}
		if why == "" && g.lookup != nil {
			exists, err := g.lookup(ctx, login)
			if err != nil {
				code := string(vicidial.ReasonOf(err))
				if code == "" {
					code = CodeTransport
				}
				return "", "", "", &Outcome{Status: StatusError, Code: code, Login: login,
					Reason: fmt.Sprintf("could not check that the generated login %s is free on the server: %v (%s)", login, err, code)}
			}
			if exists {
				why = "an account on the server"
			}
		}
		if why == "" {
			warning := ""
			if len(skipped) > 0 {
				warning = fmt.Sprintf("generated login: %s; taken: %s", login, strings.Join(skipped, ", "))
			}
			return login, warning, "", nil
		}
		if len(skipped) < 3 {
			skipped = append(skipped, login+" ("+why+")")
		}
	}
	return "", "", fmt.Sprintf("every login from %s to %s is taken: change the login pattern, or give this row a login",
		base, naming.WithSuffix(base, maxSuffix)), nil
}

// pattern parses a login pattern once.
func (g *generator) pattern(s string) (naming.Pattern, error) {
	if p, ok := g.patterns[s]; ok {
		return p, nil
	}
	p, err := naming.ParsePattern(s)
	if err == nil {
		g.patterns[s] = p
	}
	return p, err
}

// generated marks plan with what the generator filled in for row, and adds
// its warnings.
func generated(row Row, plan Plan) Plan {
	plan.GeneratedLogin = row.Gen.LoginPattern != ""
	plan.GeneratedPass = row.Gen.password
	if row.Gen.problem != "" || row.Fields.Login == placeholderLogin && plan.GeneratedLogin {
		plan = withLogin(plan, "") // no login was chosen
	}
	if len(row.Gen.warnings) > 0 {
		plan.Warnings = append(append([]string(nil), row.Gen.warnings...), plan.Warnings...)
	}
	return plan
}

// placeholders fill a row's generated login and password for the planning
// pass, which classifies rows without choosing logins: the values are
// valid, never sent, and never compared (Plan.GeneratedLogin and
// GeneratedPass say so).
func placeholders(row Row, canGenerate bool) Row {
	if row.Err != nil {
		return row
	}
	if row.Gen.LoginPattern != "" && row.Fields.Login == "" {
		row.Fields.Login = placeholderLogin
	} else {
		row.Gen.LoginPattern = ""
	}
	if row.Fields.Pass == "" && canGenerate {
		row.Fields.Pass = "generated"
		row.Gen.password = true
	}
	return row
}

// showPassword sets out.Password to the row's generated password when the
// account has it, or may have it: this run created it with it (or its
// outcome is unknown); an earlier run's claim of the person, with the same
// generated password, was settled as existing; or the person's record
// shows, by its digest, that it was created with it. An account created
// with another password (HR gave one before) gets a warning instead.
func showPassword(t *task, out *Outcome) {
	if !t.plan.GeneratedPass || out.Carried != nil {
		return
	}
	record := t.person
	if record.Key == "" && t.claimRes.HadPrior {
		record = t.claimRes.Prior
	}
	earlierClaim := t.unsure || (t.claimRes.HadPrior && record.State != PersonCreated)
	switch {
	case out.Status == StatusUnknown, out.Code == CodeCreated, t.exists:
	case out.Code == CodeAlreadyExists && earlierClaim:
	case out.Status != StatusSuccess:
		return
	case record.Applied["agent_pass"] != "" && record.Applied["agent_pass"] == t.plan.PassDigest:
	case record.Applied["agent_pass"] != "":
		out.Warnings = append(out.Warnings, fmt.Sprintf("account %s was created with another password than the one vicionboard generates: it is not shown", record.Login))
		return
	default:
		return
	}
	out.Password = string(t.plan.password())
}
