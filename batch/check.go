package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/vicionboard/vicionboard/batch/words"
	"github.com/vicionboard/vicionboard/vicidial"
)

// Inspector is what an online dry run needs of the server. AddUser and
// CopyUser are called only as probes, with the API user's own login, which
// certainly exists: the server runs every check and answers USER ALREADY
// EXISTS when all pass, inserting nothing. An Inspector that also
// implements InGroupLister has in_groups checked against the server's
// in-groups. *vicidial.Client implements both.
type Inspector interface {
	Accounts
}

// CheckConfig tunes a dry run.
type CheckConfig struct {
	// Inspector is the server to ask; nil checks offline (local rules only).
	Inspector Inspector
	// APIUser is the API user's login: the login of every probe.
	APIUser string
	Workers int
	Strict  bool
	// Ledger, when set, is read (never changed) for the persons it knows:
	// their rows are predicted ALREADY_CREATED or EXISTS_CHANGED, as a run
	// would find them. The dry run's outcomes are recorded under RunID.
	Ledger     Ledger
	RunID      RunID
	Server     string
	Input      string
	Keys       *Keyer
	RequireKey bool
	// Update predicts a run with --update: known persons' rows are UPDATED
	// (naming the fields) or UNCHANGED.
	Update bool
	// DeactivateMissing predicts a run with --deactivate-missing.
	DeactivateMissing bool
	// PassDigest as in Config.
	PassDigest func(password string) string
	// Generate as in Config: the dry run chooses the logins a run would
	// (asking the server with user_details), and never shows a password.
	Generate Generating
	Logger   zerolog.Logger
	Now      func() time.Time
}

// probe passwords and names are placeholders: a probe's login exists, so the
// server stops before it would store anything.
const (
	probePass     vicidial.Secret = "probe-never-stored"
	probeFullName                 = "vicionboard dry run probe"
)

// checker is the state of one dry run.
type checker struct {
	cfg CheckConfig
	log zerolog.Logger
	gen *generator
	// unchecked says, once, that generated logins are not checked on the
	// server.
	unchecked sync.Once

	canLookup bool     // user_details may be used
	inGroups  []string // the server's in-groups; nil when unknown
	probes    sync.Map // probeKey -> *probeResult
	// addKeys are the add_user probes of the rows read so far, each once,
	// in input order. Only the reading loop appends to it; a row keeps the
	// prefix it saw (see groupsFound).
	addKeys   []probeKey
	addKeySet map[probeKey]bool
	stopOnce  sync.Once
	stopped   atomic.Bool
	stopCause error // set once, before stopped
}

// cause returns why the check stopped, or nil.
func (c *checker) cause() error {
	if !c.stopped.Load() {
		return nil
	}
	return c.stopCause
}

type probeKey struct {
	action   Action
	level    int
	group    string
	template string
}

type probeResult struct {
	once sync.Once
	err  error // nil: every check passed
}

// Check predicts every row's outcome without creating anything, and writes
// it to sink in input order. Offline (no Inspector) rows are VALID or
// INVALID; online they are WOULD_SUCCEED, WOULD_FAIL or INVALID. Online, it
// sends only user_details, ingroup_list and probes that cannot insert (see
// Inspector). It returns a *StopError when the credentials or rights stop
// it, after writing the rows it could not check as NOT_ATTEMPTED.
func Check(ctx context.Context, in Source, sink Sink, cfg CheckConfig) error {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Ledger == nil {
		cfg.Ledger = noLedger{}
	}
	if cfg.Keys == nil {
		cfg.Keys, _ = NewKeyer(nil, "")
	}
	c := &checker{cfg: cfg, log: cfg.Logger}
	online := cfg.Inspector != nil
	if online {
		if err := probeSafe(cfg.APIUser); err != nil {
			return err
		}
		c.start(ctx)
	}
	var lookup loginLookup
	if online && c.canLookup {
		lookup = c.loginExists
	}
	c.gen = newGenerator(cfg.Generate, cfg.Keys, cfg.Ledger, cfg.Server, lookup)

	w := newOrderedWriter(sink, 4*cfg.Workers+16, c.stop)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Workers)
	logins, keys := NewLoginIndex(), NewLoginIndex()
	var present *LoginIndex
	if cfg.DeactivateMissing {
		present = NewLoginIndex()
	}
	var readErr error
	for {
		row, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = fmt.Errorf("read input: %w", err)
			break
		}
		cfg.Keys.markPresent(present, row)
		slot := w.reserve(row)
		out, plan, send := c.triage(ctx, row, logins, keys)
		if !send {
			slot <- c.record(row, plan, out)
			continue
		}
		if !online {
			slot <- c.record(row, plan, Outcome{Status: StatusValid, Code: CodeValid, Key: out.Key,
				Reason: "passes every local rule (" + CodeValid + ")", Warnings: plan.Warnings, At: cfg.Now()})
			continue
		}
		if c.cause() != nil || ctx.Err() != nil {
			slot <- c.record(row, plan, c.notChecked(ctx))
			continue
		}
		key, seen := out.Key, c.noteAddKey(plan)
		g.Go(func() error {
			out := c.predict(gctx, plan, seen)
			out.Warnings = append(append([]string(nil), plan.Warnings...), out.Warnings...)
			out.At, out.Key = cfg.Now(), key
			slot <- c.record(row, plan, out)
			return nil
		})
	}
	if present != nil && readErr == nil {
		c.leavers(ctx, in.Columns(), present, w)
	}
	jobErr := g.Wait()
	writeErr := w.close()
	flushErr := cfg.Ledger.Flush(context.WithoutCancel(ctx))
	switch {
	case jobErr != nil:
		return jobErr
	case writeErr != nil:
		return writeErr
	case flushErr != nil:
		return fmt.Errorf("ledger: %w", flushErr)
	case readErr != nil:
		return readErr
	case c.cause() != nil:
		return &StopError{Cause: c.cause()}
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return nil
}

// triage predicts a row without the server when it can: unreadable,
// invalid, carried over, or known to the ledger. send reports that the row
// needs the server's prediction (or is VALID offline); out.Key is its
// person key either way.
func (c *checker) triage(ctx context.Context, row Row, logins, keys *LoginIndex) (out Outcome, plan Plan, send bool) {
	now := c.cfg.Now()
	if row.Prior != nil && Status(row.Prior.Status).Done() {
		if plan, err := Prepare(row.Fields, Options{Strict: c.cfg.Strict}); err == nil && !plan.Autogenerated() {
			logins.Claim(plan.Login(), row.Line)
		}
		return c.predicted(StatusWouldSucceed, CodeCarriedOver, "already SUCCESS in an earlier run: carried over, not sent", nil, now), Plan{}, false
	}
	row, failed := c.gen.fill(ctx, row, logins)
	if failed != nil {
		failed.At = now
		if failed.Status == StatusError || failed.Status == StatusUnknown {
			failed.Status = StatusWouldFail
		}
		return *failed, Plan{}, false
	}
	plan, invalid := screen(row, Options{Strict: c.cfg.Strict, PassDigest: c.cfg.PassDigest, InGroups: c.inGroups}, logins, now)
	plan = generated(row, plan)
	if invalid != nil {
		return *invalid, plan, false
	}
	key, plan, invalid := personKey(row, plan, c.cfg.Keys, keys, c.cfg.RequireKey, now)
	if invalid != nil {
		return *invalid, plan, false
	}
	out.Key = key
	p, known, err := c.cfg.Ledger.Person(context.WithoutCancel(ctx), c.cfg.Server, key)
	switch {
	case err != nil:
		c.stop(fmt.Errorf("ledger: %w", err))
		return c.notChecked(ctx), plan, false
	case plan.Active == "N" && (!known || p.State != PersonCreated):
		return c.predicted(StatusWouldSucceed, CodeInactive, "the row says active=N: no account would be created", plan.Warnings, now), plan, false
	case !known:
	case p.State == PersonCreated && KeyByLogin(key) && !sameName(p.FullName, plan.FullName()):
		// Another person under a login the ledger knows: the server decides.
	case p.State == PersonCreated:
		return c.existing(p, plan, key, now), plan, false
	case plan.Autogenerated():
		return Outcome{Status: StatusWouldFail, Code: CodeOutcomeUnknown, Warnings: plan.Warnings, At: now, Key: key,
			Reason: "an earlier run's outcome for this AUTOGENERATED row is unknown: a run would not resend it without --resend-unknown (" + CodeOutcomeUnknown + ")"}, plan, false
	}
	return out, plan, true
}

// loginExists asks the server whether login exists, for a generated login.
func (c *checker) loginExists(ctx context.Context, login string) (bool, error) {
	_, err := c.cfg.Inspector.UserDetails(ctx, login)
	switch {
	case err == nil:
		return true, nil
	case vicidial.ReasonOf(err) == vicidial.ReasonUserNotFound:
		return false, nil
	case vicidial.ReasonOf(err).Fatal():
		c.stop(err)
	}
	return false, err
}

// existing predicts the row of a person whose account the ledger knows, as
// run.existing decides it.
func (c *checker) existing(p Person, plan Plan, key string, now time.Time) Outcome {
	if OwnValuesPending(p) && plan.Action == ActionCopy && plan.Update != nil {
		out := c.predicted(StatusWouldSucceed, CodeUpdated, fmt.Sprintf("account %s was copied from its template by an earlier run: its own values would be applied by update_user", p.Login),
			append(append([]string(nil), plan.Warnings...), phoneWarning(updateFields(*plan.Update))...), now)
		out.Login = p.Login
		return out
	}
	changes := lifecycleChanges(p, plan, key, c.cfg.Update, c.cfg.DeactivateMissing)
	_, sent, warnings := hrUpdate(p.Login, changes, plan)
	if Adopted(p) || len(sent) == 0 {
		out := alreadyCreated(p, plan, key, now)
		out.Status = StatusWouldSucceed
		if c.cfg.Update && out.Code == CodeAlreadyCreated {
			out.Code = CodeUnchanged
			out.Reason = fmt.Sprintf("account %s is as HR's row says: nothing to update (%s)", p.Login, CodeUnchanged)
		}
		out.Warnings = append(out.Warnings, warnings...)
		return out
	}
	warnings = append(append([]string(nil), plan.Warnings...), warnings...)
	changed := map[string]string{}
	var what []string
	for _, ch := range sent {
		changed[ch.Field] = ch.New
		what = append(what, ch.String())
	}
	code := updateCode(sent)
	sentence := fmt.Sprintf("account %s would be updated: %s", p.Login, strings.Join(what, ", "))
	switch code {
	case CodeReactivated:
		sentence = fmt.Sprintf("account %s would be reactivated (active=Y)", p.Login)
	case CodeDeactivated:
		sentence = fmt.Sprintf("account %s would be deactivated (active=N): the row says active=N", p.Login)
	}
	out := c.predicted(StatusWouldSucceed, code, sentence, append(warnings, phoneWarning(changed)...), now)
	out.Login = p.Login
	return out
}

// leavers predicts the deactivation of the accounts vicionboard created
// from this input for persons absent from it, as rows after the input's.
func (c *checker) leavers(ctx context.Context, columns []string, present *LoginIndex, w *orderedWriter) {
	err := c.cfg.Ledger.Persons(context.WithoutCancel(ctx), c.cfg.Server, c.cfg.Input, func(p Person) error {
		if !leaving(p, present) {
			return nil
		}
		row := Row{Cells: c.cfg.Keys.leaverCells(columns, p), Fields: Fields{Login: p.Login, FullName: p.FullName}}
		out := c.predicted(StatusWouldSucceed, CodeDeactivated,
			fmt.Sprintf("account %s would be deactivated (active=N): the person is not in this export", p.Login), nil, c.cfg.Now())
		out.Login, out.Key = p.Login, p.Key
		w.reserve(row) <- c.record(row, Plan{}, out)
		return nil
	})
	if err != nil {
		c.stop(fmt.Errorf("ledger: %w", err))
	}
}

// phoneWarning is the warning of an update_user that sets a phone_login:
// the server checks that the phone exists only when it writes, so a dry
// run cannot predict it.
func phoneWarning(fields map[string]string) []string {
	if v := fields["phone_login"]; v != "" && v != vicidial.Blank {
		return []string{"phone_login " + words.Clip(v) + " not checked: the server checks that the phone exists only when it writes"}
	}
	return nil
}

// record hands a predicted outcome to the ledger, as this dry run's
// history; it changes no person's record.
func (c *checker) record(row Row, plan Plan, out Outcome) Outcome {
	if plan.GeneratedLogin && out.Login == "" && (out.Status == StatusValid || out.Status == StatusWouldSucceed) {
		out.Login = plan.Login() // the login a run would choose
		if c.gen.lookup == nil {
			// Once for the check, not a warning on every row.
			c.unchecked.Do(func() {
				c.log.Warn().Msg("generated logins are not checked on the server (offline, or the API user may not use user_details): " +
					"a run may give a person a suffixed login where the server has the pattern's")
			})
		}
	}
	rec := RowRecord{Line: row.Line, Key: out.Key, Login: out.Login, Status: out.Status, Code: out.Code,
		Reason: out.Reason, At: out.At, Server: c.cfg.Server, Input: c.cfg.Input}
	if plan.Action != 0 {
		rec.Function = plan.Action.String()
		if rec.Login == "" {
			rec.Login = plan.Login()
		}
	}
	if err := c.cfg.Ledger.Record(context.Background(), c.cfg.RunID, rec); err != nil {
		c.stop(fmt.Errorf("ledger: %w", err))
	}
	return out
}

// probeSafe reports whether the API user's login can serve as the login of
// the dry run's probes. A probe relies on the server answering USER ALREADY
// EXISTS for it; the server filters a login before looking it up, so a
// login with characters it deletes ("api.user" is looked up as "apiuser")
// could name a free account and the probe would create it. Such a login,
// or an AUTOGENERATED one, is refused before anything is sent.
func probeSafe(apiUser string) error {
	switch {
	case apiUser == "":
		return errors.New("an online check needs the API user's login")
	case vicidial.IsAutogenerated(apiUser) || !isSafeID(apiUser):
		return fmt.Errorf("API user %q: an online check probes with the API user's own login, which must be only letters, digits, - and _ so that the server cannot change it into a login that may be free; check offline (no server URL) instead", apiUser)
	}
	return nil
}

// start checks the credentials (one user_details call: version would not
// check them) and lists the in-groups.
func (c *checker) start(ctx context.Context) {
	_, err := c.cfg.Inspector.UserDetails(ctx, c.cfg.APIUser)
	switch reason := vicidial.ReasonOf(err); {
	case err == nil:
		c.canLookup = true
	case reason == vicidial.ReasonFunctionNotAllowed || reason == vicidial.ReasonNoPermission:
		c.log.Warn().Str("reason", string(reason)).Msg("the API user may not use user_details: logins cannot be checked")
	case reason != "":
		c.stop(err)
		return
	case vicidial.IsTransport(err):
		c.stop(fmt.Errorf("server unreachable: %w", err))
		return
	default:
		c.stop(fmt.Errorf("checking the API user's credentials: %w", err))
		return
	}
	c.inGroups = FetchInGroups(ctx, c.cfg.Inspector, c.log)
}

// stop ends the checking; rows not checked become NOT_ATTEMPTED.
func (c *checker) stop(cause error) {
	c.stopOnce.Do(func() {
		c.stopCause = cause
		c.stopped.Store(true)
		c.log.Error().Err(cause).Msg("stopping the check")
	})
}

func (c *checker) notChecked(ctx context.Context) Outcome {
	why := "the check was interrupted"
	if cause := c.cause(); cause != nil {
		why = "the check stopped: " + cause.Error()
	}
	return Outcome{Status: StatusNotAttempted, Code: CodeNotAttempted,
		Reason: "not checked, " + why + " (" + CodeNotAttempted + ")", At: c.cfg.Now()}
}

func (c *checker) predicted(st Status, code, sentence string, warnings []string, now time.Time) Outcome {
	return Outcome{Status: st, Code: code, Reason: sentence + " (" + code + ")", Warnings: warnings, At: now}
}

// predict asks the server what it would answer to the row, as the server
// would decide it: rights, level and group first (the probe), then whether
// the login is free. seen are the add_user probes of the rows up to this
// one (see groupsFound).
func (c *checker) predict(ctx context.Context, plan Plan, seen []probeKey) Outcome {
	var warnings []string
	if err := c.probe(ctx, plan); err != nil {
		if cause := c.cause(); cause != nil && errors.Is(err, cause) {
			return c.notChecked(ctx)
		}
		return c.failure(ctx, err, plan, seen)
	}
	if plan.Autogenerated() {
		return c.ownValues(ctx, plan, seen, c.predicted(StatusWouldSucceed, CodeCreated, "would be created; the server picks the login", warnings, time.Time{}))
	}
	if !c.canLookup {
		warnings = append(warnings, "login not checked: the API user may not use user_details")
		return c.ownValues(ctx, plan, seen, c.predicted(StatusWouldSucceed, CodeCreated, "would be created", warnings, time.Time{}))
	}
	d, err := c.cfg.Inspector.UserDetails(ctx, plan.Login())
	switch {
	case vicidial.ReasonOf(err) == vicidial.ReasonUserNotFound:
		return c.ownValues(ctx, plan, seen, c.predicted(StatusWouldSucceed, CodeCreated, "would be created by "+plan.Action.String(), warnings, time.Time{}))
	case err == nil && sameName(d.FullName, plan.FullName()):
		return c.ownValues(ctx, plan, seen, c.predicted(StatusWouldSucceed, CodeAlreadyExists,
			"the account already exists with this full name: a run counts it as SUCCESS without creating it", warnings, time.Time{}))
	case err == nil:
		return c.predicted(StatusWouldFail, string(vicidial.ReasonUserExists),
			fmt.Sprintf("login already taken on the server by %q", d.FullName), warnings, time.Time{})
	default:
		return c.failure(ctx, err, plan, seen)
	}
}

// ownValues predicts the update_user that follows a copy row's copy_user
// (out is the copy's prediction): its user group must exist (checked with
// an add_user probe of that group, which inserts nothing); whether its
// phone_login exists cannot be predicted, and says so in a warning.
func (c *checker) ownValues(ctx context.Context, plan Plan, seen []probeKey, out Outcome) Outcome {
	if plan.Action != ActionCopy || plan.Update == nil {
		return out
	}
	out.Warnings = append(out.Warnings, phoneWarning(updateFields(*plan.Update))...)
	if g := plan.Update.Group; g != "" {
		err := c.probe(ctx, Plan{Action: ActionAdd, Add: vicidial.AddUserRequest{Level: 1, Group: g}})
		if vicidial.ReasonOf(err) == vicidial.ReasonGroupNotFound {
			return Outcome{Status: StatusWouldFail, Code: string(vicidial.ReasonInvalidGroup), Warnings: out.Warnings,
				Reason: fmt.Sprintf("would be copied, but its own values would not be applied: user group %s does not exist%s (%s)",
					words.Clip(g), c.groupHint(ctx, g, seen), vicidial.ReasonInvalidGroup)}
		}
	}
	return out
}

// noteAddKey adds the add_user probe of an add row to the probes seen so
// far, and returns them: the rows up to this one, in input order. The
// reading loop alone calls it; the prefix it returns never changes.
func (c *checker) noteAddKey(plan Plan) []probeKey {
	if plan.Action == ActionAdd {
		key := probeKey{action: ActionAdd, level: plan.Add.Level, group: plan.Add.Group}
		if !c.addKeySet[key] {
			if c.addKeySet == nil {
				c.addKeySet = map[probeKey]bool{}
			}
			c.addKeySet[key] = true
			c.addKeys = append(c.addKeys, key)
		}
	}
	return c.addKeys[:len(c.addKeys):len(c.addKeys)]
}

// groupsFound returns the user groups that the probes of seen found to
// exist (the probe passed: a group that failed on its level proves
// nothing), each once whatever its case, sorted. It waits for those
// probes, or runs them: they are the probes of earlier rows, each made
// once anyway, so the answer depends only on the input and the server,
// never on which worker ran first.
func (c *checker) groupsFound(ctx context.Context, seen []probeKey) []string {
	var found []string
	for _, key := range seen {
		if c.cause() != nil || ctx.Err() != nil {
			return nil
		}
		if containsFold(found, key.group) {
			continue
		}
		if c.probe(ctx, Plan{Action: ActionAdd, Add: vicidial.AddUserRequest{Level: key.level, Group: key.group}}) == nil {
			found = append(found, key.group)
		}
	}
	sort.Strings(found)
	return found
}

// groupHint is what follows "user group G does not exist": the groups
// this check found, and the closest to G; "" when it found none.
func (c *checker) groupHint(ctx context.Context, group string, seen []probeKey) string {
	found := c.groupsFound(ctx, seen)
	if len(found) == 0 {
		return ""
	}
	return " (groups found by this check: " + withClosest(listNames(found), group, found) + ")"
}

// failure predicts the outcome of an error the server would answer. An
// add row's missing user group names the groups the check found.
func (c *checker) failure(ctx context.Context, err error, plan Plan, seen []probeKey) Outcome {
	if reason := vicidial.ReasonOf(err); reason != "" {
		if reason.Fatal() {
			c.stop(err)
		}
		if reason == vicidial.ReasonGroupNotFound && plan.Action == ActionAdd {
			if hint := c.groupHint(ctx, plan.Add.Group, seen); hint != "" {
				return Outcome{Status: StatusWouldFail, Code: string(reason),
					Reason: fmt.Sprintf("user group %s does not exist%s (%s)", words.Quote(plan.Add.Group), hint, reason)}
			}
		}
		return Outcome{Status: StatusWouldFail, Code: string(reason), Reason: describeAPIError(err, plan)}
	}
	return Outcome{Status: StatusUnknown, Code: CodeOutcomeUnknown,
		Reason: fmt.Sprintf("could not check: %v (%s)", err, CodeOutcomeUnknown)}
}

// probe runs the server's checks for the row's function, level and group
// (or template) once per distinct combination, with the API user's own
// login so that nothing can be inserted.
func (c *checker) probe(ctx context.Context, plan Plan) error {
	key := probeKey{action: plan.Action}
	if plan.Action == ActionCopy {
		key.template = plan.Copy.SourceUser
	} else {
		key.level, key.group = plan.Add.Level, plan.Add.Group
	}
	v, _ := c.probes.LoadOrStore(key, &probeResult{})
	res := v.(*probeResult)
	res.once.Do(func() { res.err = c.runProbe(ctx, key) })
	return res.err
}

func (c *checker) runProbe(ctx context.Context, key probeKey) error {
	var err error
	login := c.cfg.APIUser
	if key.action == ActionCopy {
		_, err = c.cfg.Inspector.CopyUser(ctx, vicidial.CopyUserRequest{
			Login: login, Pass: probePass, FullName: probeFullName, SourceUser: key.template})
	} else {
		_, err = c.cfg.Inspector.AddUser(ctx, vicidial.AddUserRequest{
			Login: login, Pass: probePass, Level: key.level, FullName: probeFullName, Group: key.group})
	}
	switch {
	case vicidial.ReasonOf(err) == vicidial.ReasonUserExists:
		return nil // every check passed
	case err == nil:
		// Impossible while the API user exists; never trust it.
		c.stop(fmt.Errorf("a dry-run probe was answered SUCCESS: the server is not behaving as documented; stopping"))
		return c.cause()
	case vicidial.IsFatal(err):
		c.stop(err)
		return c.cause()
	case vicidial.IsTransport(err):
		c.stop(fmt.Errorf("server unreachable: %w", err))
		return c.cause()
	}
	return err
}
