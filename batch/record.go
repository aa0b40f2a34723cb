package batch

import (
	"context"
	"fmt"
	"maps"

	"github.com/vicionboard/vicionboard/batch/words"
)

// This file is the record stage: every row's outcome is logged and handed
// to the ledger with its effect on the person's record, before the write
// stage puts it in the result.

// effectOf is what a sent row's outcome does to the person's record.
func (r *run) effectOf(t *task, st Status) Effect {
	switch {
	case t.d.Step != StepCreate && (st == StatusSuccess || st == StatusHeld && t.applied != nil):
		return EffectCreated // the values applied change (all but a held level raise)
	case t.d.Step != StepCreate:
		return EffectNone
	case st == StatusSuccess || t.exists:
		return EffectCreated
	case !t.claimed:
		return EffectNone
	case st == StatusUnknown:
		return EffectUnknown
	}
	return EffectReleased
}

// finish completes an outcome: it logs it and records it in the ledger
// with its effect on the person's record. A dry run's outcome is its
// prediction (see predicted).
func (r *run) finish(t *task, out Outcome, effect Effect) Outcome {
	out.Key = t.d.Key
	if t.dl != nil {
		out.Server = t.dl.name
	}
	if out.At.IsZero() {
		out.At = r.now()
	}
	if r.dry {
		out = r.predicted(out, t.dl)
	} else {
		showPassword(t, &out)
	}
	showPhone(t, &out, r.dry) // phone.go
	out.Decision = &t.d
	r.logOutcome(t.row, t.d.Plan, out)
	r.record(t, out, effect)
	return out
}

// record hands a row's outcome to the ledger.
func (r *run) record(t *task, out Outcome, effect Effect) {
	row, plan := t.row, t.d.Plan
	rec := RowRecord{Line: row.Line, Key: out.Key, Login: out.Login, Status: out.Status, Code: out.Code,
		Reason: out.Reason, At: out.At, Effect: effect, Server: out.Server, Input: r.cfg.Input}
	if out.Carried != nil {
		rec.Status, rec.Login, rec.Reason = Status(out.Carried.Status), out.Carried.Login, out.Carried.Reason
	}
	if rec.Login == "" {
		rec.Login = loginOf(row, plan)
	}
	// The function is the one sent: none for a row that was not.
	sent := t.d.Step.Sends() && (out.Status == StatusSuccess || out.Status == StatusError || out.Status == StatusUnknown ||
		out.Status == StatusHeld && t.applied != nil)
	sendsUpdate := t.d.Step.Sends() && t.d.Step != StepCreate
	switch {
	case sendsUpdate && rec.Login == "":
		rec.Login = t.d.Person.Login
	}
	switch {
	case !sent || r.dry:
	case sendsUpdate:
		rec.Function = "update_user"
	default:
		rec.Function = plan.Action.String()
	}
	if effect == EffectCreated {
		rec.FullName, rec.Applied = plan.FullName(), plan.Applied()
		if t.applied != nil {
			rec.Applied = t.applied
		}
		if sendsUpdate && (plan.Action == 0 || KeyByLogin(t.d.Key)) {
			rec.FullName = t.d.Person.FullName
		}
		if out.Code == CodeAlreadyExists && t.d.Step == StepCreate {
			rec.Applied = maps.Clone(rec.Applied)
			rec.Applied[adopted] = "1"
		}
	}
	if err := r.ledger.Record(context.WithoutCancel(r.runCtx), r.cfg.RunID, rec); err != nil {
		r.stop(fmt.Errorf("ledger: %w", err))
	}
}

// logOutcome logs a row's outcome: accounts created or found at info level
// (an audit trail), problems at warn, the rest at debug.
func (r *run) logOutcome(row Row, plan Plan, out Outcome) {
	ev := r.log.Debug()
	switch {
	case out.Carried != nil:
	case out.Status == StatusSuccess:
		ev = r.log.Info()
	case out.Status == StatusValid, out.Status == StatusWouldSucceed:
	default:
		ev = r.log.Warn()
	}
	if plan.Action != 0 {
		ev = ev.Str("function", plan.Action.String())
	}
	status, code := out.Status, out.Code
	if out.Carried != nil {
		status = Status(out.Carried.Status)
	}
	ev.Int("line", row.Line).Str("login", words.Clip(loginOf(row, plan))).
		Str("status", string(status)).Str("account", out.Login).Str("code", code).
		Str("reason", out.Reason).Msg("row")
}

// showPassword sets out.Password to the row's generated password when the
// account has it, or may have it: this run created it with it (or its
// outcome is unknown), or found the account its own request, or an
// earlier run's, created (VERIFIED: the same generated password); or the
// person's record shows, by its digest, that it was created with it. An account created
// with another password (HR gave one before) gets a warning instead.
func showPassword(t *task, out *Outcome) {
	if !t.d.Plan.GeneratedPass || out.Carried != nil {
		return
	}
	record := t.d.Person
	if record.Key == "" && t.claimRes.HadPrior {
		record = t.claimRes.Prior
	}
	switch {
	case out.Status == StatusUnknown, out.Code == CodeCreated, out.Code == CodeVerifiedAfterErr, t.exists:
	case out.Status != StatusSuccess:
		return
	case record.Applied["agent_pass"] != "" && record.Applied["agent_pass"] == t.d.Plan.PassDigest:
	case record.Applied["agent_pass"] != "":
		out.Warnings = append(out.Warnings, fmt.Sprintf("account %s was created with another password than the one vicionboard generates: it is not shown", record.Login))
		return
	default:
		return
	}
	out.Password = string(t.d.Plan.password())
}

// loginOf is the login a row asks for, as a person reads it: the plan's
// (a generated login, once chosen), else the row's own cell; never the
// placeholder of a login not chosen.
func loginOf(row Row, plan Plan) string {
	if plan.Action != 0 && plan.Login() != "" {
		return plan.Login()
	}
	if row.Fields.Login == placeholderLogin && row.Gen.LoginPattern != "" {
		return ""
	}
	return row.Fields.Login
}
