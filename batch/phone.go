package batch

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/vicionboard/vicionboard/vicidial"
)

// This file is the phone stage: an agent's own phone is claimed in the
// ledger, then made with add_phone, before their account is created (the
// account's phone_login and phone_pass are the phone's); a known
// person's phone is deactivated, reactivated or renamed with
// update_phone before their account's update_user. An add_phone whose
// outcome is unknown (an unreadable answer, a cut connection, a claim an
// earlier run left) is settled with ProbePhone: PHONE_EXISTS means the
// phone is there; no add_phone is ever sent again blindly.

// phoneState is what the phone stage did with a task's phone.
type phoneState struct {
	claimed bool // the ledger answered the phone's claim (res)
	res     PhoneClaimResult
	made    bool // the phone exists: made now, settled as made, or made by an earlier run
	now     bool // this run made it, or found the one an earlier run's claim made
}

// PhoneResult is the agent's own phone of a row, for the result file.
type PhoneResult struct {
	Extension string
	ServerIP  string
	Login     string
	// Pass and Registration are the passwords vicionboard generated for
	// the phone, when this run made it (or found it made by an earlier
	// run's claim); "" otherwise. Never logged.
	Pass, Registration string
}

// lookUpPhones reads the ledger's phone records of the persons of batch,
// by server and key. A failure stops the run, as the persons' look-up.
func (r *run) lookUpPhones(ctx context.Context, batch []*task) map[*dialer]map[string]Phone {
	keys := map[*dialer][]string{}
	for _, t := range batch {
		if t.dl != nil && t.facts.Key != "" {
			keys[t.dl] = append(keys[t.dl], t.facts.Key)
		}
	}
	out := map[*dialer]map[string]Phone{}
	for _, dl := range r.order {
		if len(keys[dl]) == 0 {
			continue
		}
		phones, err := r.ledger.PhonesByKey(context.WithoutCancel(ctx), dl.name, keys[dl])
		if err != nil {
			r.stop(fmt.Errorf("ledger: %w", err))
			for _, t := range batch {
				t.facts.PersonErr = err
			}
			return nil
		}
		out[dl] = phones
	}
	return out
}

// phoneFacts completes a task's facts with its person's phone, and, for a
// row asking for an extension or phone login, the other person whose
// phone in the ledger has them.
func (r *run) phoneFacts(ctx context.Context, t *task, phones map[*dialer]map[string]Phone) {
	f := &t.facts
	if t.dl == nil || f.Key == "" {
		return
	}
	f.Phone, f.HasPhone = phones[t.dl][f.Key]
	ph := f.Plan.Phone
	// A generated extension was chosen free of other persons' phones.
	if ph == nil || ph.Generated || f.HasPhone || f.Invalid != nil || f.NotSent != "" || f.DupLogin > 0 || f.DupKey > 0 || f.DupExtension > 0 {
		return
	}
	key, held, err := r.ledger.PhoneHolder(context.WithoutCancel(ctx), t.dl.name, ph.Add.ServerIP, ph.Add.Extension, ph.Add.PhoneLogin)
	switch {
	case err != nil:
		f.PersonErr = err
		r.stop(fmt.Errorf("ledger: %w", err))
	case held && key != f.Key:
		f.PhoneHolder = key
	}
}

// leaverPhones gives leavers (tasks of dl) their phones' records.
func (r *run) leaverPhones(ctx context.Context, tasks []*task) {
	phones := r.lookUpPhones(ctx, tasks)
	for _, t := range tasks {
		t.facts.Phone, t.facts.HasPhone = phones[t.dl][t.facts.Key]
	}
}

// claimPhones claims, in one transaction, the phones of the tasks that
// make one and have not claimed it yet.
func (r *run) claimPhones(ctx context.Context, tasks []*task) {
	var claims []PhoneClaim
	var owners []*task
	for _, t := range tasks {
		st := t.d.Phone
		if st == nil || st.Add == nil || t.phone.claimed {
			continue
		}
		add := st.Add
		claims = append(claims, PhoneClaim{Server: t.dl.name, Key: t.d.Key, Extension: add.Extension, ServerIP: add.ServerIP,
			Login: add.PhoneLogin, FullName: add.FullName, Generated: t.d.Plan.Phone != nil && t.d.Plan.Phone.Generated})
		owners = append(owners, t)
	}
	if len(claims) == 0 {
		return
	}
	res, err := r.ledger.ClaimPhones(ctx, r.cfg.RunID, claims)
	if err != nil {
		r.stop(fmt.Errorf("ledger: %w", err))
		return
	}
	for i, t := range owners {
		t.phone.claimed, t.phone.res = true, res[i]
	}
}

// claimPhonesOf claims the phones of the tasks of batch whose person's
// claim was granted.
func (r *run) claimPhonesOf(ctx context.Context, batch []*task) {
	var granted []*task
	for _, t := range batch {
		if t.claimed && t.claimRes.Granted {
			granted = append(granted, t)
		}
	}
	r.claimPhones(ctx, granted)
}

// makePhone makes a task's phone, when its decision says so, before its
// account's call: claimed (unless the claim stage did), settled if an
// earlier run's claim may have made it, then add_phone. It returns
// ok=false with the row's outcome when the phone is not there: the
// account is then not sent.
func (r *run) makePhone(ctx context.Context, t *task) (Outcome, bool) {
	st, dl := t.d.Phone, t.dl
	if st == nil || st.Add == nil {
		if st != nil && st.Reused {
			t.phone.made = true
		}
		return Outcome{}, true
	}
	req := *st.Add
	if !t.phone.claimed {
		r.claimPhones(ctx, []*task{t})
	}
	res := t.phone.res
	switch {
	case !t.phone.claimed:
		return r.notAttempted(ctx, dl), false // the run stopped first
	case !res.Granted && res.HadPrior && res.Prior.State == PhoneCreated:
		t.phone.made = true // made since by another run of this person: reused
		return Outcome{}, true
	case !res.Granted && res.Holder != "":
		return Outcome{Status: StatusNotAttempted, Code: CodeExtensionTaken, Warnings: t.d.Plan.Warnings,
			Reason: fmt.Sprintf("not sent: extension %s (phone login %s) became the phone of another person (key %s) while this run chose it; "+
				"the next run chooses another (%s)", req.Extension, req.PhoneLogin, keyShown(res.Holder), CodeExtensionTaken)}, false
	case !res.Granted:
		return notAttempted(fmt.Sprintf("not sent: the ledger's record of this person's phone changed while this run decided (extension %s); "+
			"the next run decides again", res.Prior.Extension)), false
	}
	// An earlier run's claim may have made the phone: settle it first.
	settle, mayExist := res.HadPrior, res.HadPrior
	var last error
	for round := 0; round < r.cfg.SendRounds; round++ {
		if r.halted(dl) || r.runCtx.Err() != nil {
			return r.notAttempted(ctx, dl), false
		}
		if settle {
			err := dl.accounts.ProbePhone(ctx, req)
			r.noteTransport(dl, err)
			switch reason := vicidial.ReasonOf(err); {
			case reason == vicidial.ReasonPhoneExists:
				r.phoneMade(t, req)
				return Outcome{}, true
			case err == nil:
				settle, mayExist = false, false // not there: it may be sent
			case reason == "":
				last = err
				continue // unreadable, or not reached: ask again
			default:
				return r.phoneFailed(ctx, t, req, err, mayExist), false
			}
		}
		_, err := dl.accounts.AddPhone(ctx, req)
		r.noteTransport(dl, err)
		switch reason := vicidial.ReasonOf(err); {
		case err == nil:
			r.phoneMade(t, req)
			return Outcome{}, true
		case vicidial.IsUncertain(err):
			// It may have reached the server: settled by the next round's probe.
			settle, mayExist, last = true, true, err
		case reason == vicidial.ReasonPhoneExists && mayExist:
			r.phoneMade(t, req) // an earlier attempt's
			return Outcome{}, true
		default:
			return r.phoneFailed(ctx, t, req, err, mayExist), false
		}
	}
	// Left claimed: the next run settles it with a probe.
	out := unknownOutcome(fmt.Sprintf("the agent's phone %s: whether add_phone made it could not be established after %d attempts, last: %v; "+
		"the account was not sent; the next run checks the phone first", req.Extension, r.cfg.SendRounds, last))
	out.Warnings = t.d.Plan.Warnings
	return out, false
}

// phoneMade records that a task's phone exists, made by this run or by an
// earlier run's claim of the person.
func (r *run) phoneMade(t *task, req vicidial.AddPhoneRequest) {
	t.phone.made, t.phone.now = true, true
	if err := r.ledger.RecordPhone(context.WithoutCancel(r.runCtx), r.cfg.RunID, PhoneRecord{Server: t.dl.name, Key: t.d.Key,
		Effect: PhoneEffectCreated, FullName: req.FullName, At: r.now()}); err != nil {
		r.stop(fmt.Errorf("ledger: %w", err))
	}
}

// phoneFailed is the outcome of an add_phone (or its probe) the server
// refused: the phone is not there (its claim is released, unless an
// earlier attempt may have made it), and the account is not sent.
func (r *run) phoneFailed(ctx context.Context, t *task, req vicidial.AddPhoneRequest, err error, mayExist bool) Outcome {
	dl := t.dl
	if errorsIsNotSent(err) || ctx.Err() != nil && !vicidial.IsUncertain(err) {
		return r.notAttempted(ctx, dl)
	}
	if vicidial.IsFatal(err) {
		r.stopDialer(dl, err)
	}
	if !mayExist {
		if rerr := r.ledger.RecordPhone(context.WithoutCancel(r.runCtx), r.cfg.RunID, PhoneRecord{Server: dl.name, Key: t.d.Key,
			Effect: PhoneEffectReleased, At: r.now()}); rerr != nil {
			r.stop(fmt.Errorf("ledger: %w", rerr))
		}
	}
	what := fmt.Sprintf("the agent's phone %s on %s %s", req.Extension, req.ServerIP, r.tense("could not be made", "would not be made"))
	out := Outcome{Status: StatusError, At: r.now(), Warnings: append([]string(nil), t.d.Plan.Warnings...)}
	reason := vicidial.ReasonOf(err)
	switch {
	case reason == vicidial.ReasonPhoneExists:
		out.Code = string(reason)
		out.Reason = fmt.Sprintf("%s: extension %s already exists on server %s, and vicionboard did not make it: it is left alone. "+
			"Give this row another extension (or %s); if that phone is this agent's, leave phone_extension empty and give its phone_login and phone_pass",
			what, req.Extension, req.ServerIP, NewExtension)
	case reason != "":
		out.Code, out.Reason = string(reason), what+": "+explain(err, t.d.Plan)
	case vicidial.IsTransport(err):
		out.Code, out.Reason = CodeTransport, fmt.Sprintf("%s: server not reached: %v", what, err)
	default:
		out = unknownOutcome(fmt.Sprintf("%s: %v", what, err))
		out.Warnings = t.d.Plan.Warnings
	}
	out.Reason = strings.TrimSuffix(out.Reason, " ("+out.Code+")") + r.tense("; the account was not created", "; the account would not be created") +
		" (" + out.Code + ")"
	return out
}

// withPhoneMade completes the outcome of a row whose account was sent
// after its phone: SUCCESS names the phone; a failure says that the phone
// is kept for the person (the next run reuses it).
func (r *run) withPhoneMade(t *task, out Outcome) Outcome {
	st := t.d.Phone
	if st == nil || !t.phone.made {
		return out
	}
	ext, ip := phoneOf(t)
	switch {
	case out.Status == StatusSuccess && out.Code == CodeAlreadyExists && t.d.Plan.Action == ActionAdd:
		// The account was there before: it is never changed, so it does
		// not log in on the phone made for it.
		out.Warnings = append(out.Warnings, fmt.Sprintf("its own phone %s on %s %s, but the account existed before vicionboard found it "+
			"and is never changed: it does not log in on that phone (give it phone_login %s by hand)", ext, ip, r.tense("was made", "would be made"), ext))
	case out.Status == StatusSuccess:
		how := "made by add_phone"
		if !t.phone.now {
			how = "made by an earlier run"
		}
		out.Reason = reasonWith(out, fmt.Sprintf(", logging in on its own phone %s on %s (%s)", ext, ip, how))
	case out.Status == StatusError || out.Status == StatusUnknown:
		out.Reason = reasonWith(out, fmt.Sprintf("; the agent's phone %s on %s %s kept for this person: the next run reuses it",
			ext, ip, r.tense("is made, and", "would be made, and")))
	}
	return out
}

// reasonWith returns out's reason with more said before its code.
func reasonWith(out Outcome, more string) string {
	suffix := " (" + out.Code + ")"
	if out.Code == "" || !strings.HasSuffix(out.Reason, suffix) {
		return out.Reason + more
	}
	return strings.TrimSuffix(out.Reason, suffix) + more + suffix
}

// phoneOf is the extension and server_ip of a task's phone.
func phoneOf(t *task) (ext, ip string) {
	st := t.d.Phone
	if st.Add != nil {
		return st.Add.Extension, st.Add.ServerIP
	}
	return st.Record.Extension, st.Record.ServerIP
}

// lifecycle carries out a known person's decision: their phone first (a
// new one made, their phone deactivated, reactivated or renamed), then
// their account's update_user. A phone that could not be changed makes
// the row an ERROR, not recorded: the next run tries both again.
func (r *run) lifecycle(ctx context.Context, t *task) Outcome {
	st := t.d.Phone
	if out, ok := r.makePhone(ctx, t); !ok {
		return r.finish(t, out, EffectNone)
	}
	var phoneErr error
	if st != nil && st.Update != nil {
		phoneErr = r.updatePhone(ctx, t)
		if errorsIsNotSent(phoneErr) {
			return r.finish(t, r.notAttempted(ctx, t.dl), EffectNone)
		}
	}
	var out Outcome
	if t.d.Update != nil {
		out = r.update(ctx, t, *t.d.Update)
	} else {
		out = r.phoneOnlyOutcome(t)
	}
	switch {
	case st == nil:
	case out.Status == StatusSuccess || out.Status == StatusHeld:
		out = r.withPhoneChanged(t, out, phoneErr)
	case t.phone.now:
		out = r.withPhoneMade(t, out)
	}
	return r.finish(t, out, r.effectOf(t, out.Status))
}

// updatePhone sends a task's update_phone (update_phone writes the same
// values however often it is sent: an answer that may not have arrived
// is sent again), and records what it changed.
func (r *run) updatePhone(ctx context.Context, t *task) error {
	dl, u := t.dl, *t.d.Phone.Update
	var err error
	for round := 0; round < r.cfg.SendRounds; round++ {
		if r.halted(dl) || r.runCtx.Err() != nil {
			return errNotSent
		}
		err = dl.accounts.UpdatePhone(ctx, u)
		r.noteTransport(dl, err)
		if err == nil || !vicidial.IsUncertain(err) {
			break
		}
	}
	if err != nil {
		if vicidial.IsFatal(err) {
			r.stopDialer(dl, err)
		}
		return err
	}
	if rerr := r.ledger.RecordPhone(context.WithoutCancel(r.runCtx), r.cfg.RunID, PhoneRecord{Server: dl.name, Key: t.d.Key,
		Effect: PhoneEffectChanged, Active: u.Active, FullName: u.FullName, At: r.now()}); rerr != nil {
		r.stop(fmt.Errorf("ledger: %w", rerr))
	}
	return nil
}

// phoneOnlyOutcome is the outcome of a step that changed a person's phone
// alone: the account keeps the values recorded.
func (r *run) phoneOnlyOutcome(t *task) Outcome {
	t.applied = maps.Clone(t.d.Person.Applied)
	if t.applied == nil {
		t.applied = map[string]string{}
	}
	code := map[Step]string{StepDeactivate: CodeDeactivated, StepReactivate: CodeReactivated}[t.d.Step]
	if code == "" {
		code = CodeUpdated
	}
	return Outcome{Status: StatusSuccess, Login: t.d.Person.Login, Code: code, At: r.now(),
		Warnings: append(append([]string(nil), t.d.Plan.Warnings...), t.d.Warnings...),
		Reason:   fmt.Sprintf("account %s is as the row says (%s)", t.d.Person.Login, code)}
}

// withPhoneChanged completes the outcome of a known person's row with
// what their phone did: the phone's change (or new phone) named, or its
// failure, which makes the row an ERROR.
func (r *run) withPhoneChanged(t *task, out Outcome, phoneErr error) Outcome {
	st := t.d.Phone
	ext, _ := phoneOf(t)
	var said []string
	if st.Add != nil && t.phone.made {
		said = append(said, fmt.Sprintf("its new phone %s %s (add_phone) and linked", ext, r.tense("made", "would be made")))
	}
	if st.Update != nil && phoneErr == nil {
		var done []string
		for _, c := range st.Changes {
			switch {
			case c.Field == phoneActive && c.New == "N":
				done = append(done, "deactivated (active=N)")
			case c.Field == phoneActive:
				done = append(done, "reactivated (active=Y)")
			default:
				done = append(done, "renamed "+quoteValue(c.New))
			}
		}
		said = append(said, fmt.Sprintf("its phone %s %s by update_phone", r.tense(ext, ext+" would be"), strings.Join(done, " and ")))
	}
	if len(said) > 0 {
		out.Reason = reasonWith(out, "; "+strings.Join(said, ", "))
	}
	if phoneErr == nil {
		return out
	}
	code, why := string(vicidial.ReasonOf(phoneErr)), explain(phoneErr, t.d.Plan)
	switch {
	case code == "" && vicidial.IsTransport(phoneErr):
		code, why = CodeTransport, "server not reached: "+phoneErr.Error()
	case code == "":
		code = CodeOutcomeUnknown
	}
	base := strings.TrimSuffix(out.Reason, " ("+out.Code+")")
	out.Status, out.Code = StatusError, code
	out.Reason = fmt.Sprintf("%s; but its phone %s %s: %s; %s (%s)", base, ext, r.tense("was not changed", "would not be changed"),
		why, r.tense("the next run tries again", "a run would try again the next night"), code)
	return out
}

// showPhone sets out.Phone to the row's phone: the one made (or to be, in
// a dry run), or the person's; with its generated passwords when this run
// made it, or it is the person's phone made by an earlier run with them.
func showPhone(t *task, out *Outcome, dry bool) {
	st := t.d.Phone
	if st == nil || out.Carried != nil {
		return
	}
	var res PhoneResult
	switch {
	case st.Add != nil && (t.phone.made || dry && (out.Status == StatusSuccess || out.Status == StatusValid || out.Status == StatusWouldSucceed)):
		res = PhoneResult{Extension: st.Add.Extension, ServerIP: st.Add.ServerIP, Login: st.Add.PhoneLogin}
	case st.Known && st.Record.State == PhoneCreated:
		res = PhoneResult{Extension: st.Record.Extension, ServerIP: st.Record.ServerIP, Login: st.Record.Login}
	default:
		return
	}
	if ph := t.d.Plan.Phone; ph != nil && !dry && t.phone.made && strings.EqualFold(ph.Add.Extension, res.Extension) {
		if ph.GeneratedPass {
			res.Pass = ph.Add.PhonePass.Reveal()
		}
		if ph.GeneratedRegistration {
			res.Registration = ph.Add.RegistrationPassword.Reveal()
		}
	}
	out.Phone = &res
}

// errPhoneNotFound is the dry run's prediction of an update_phone of a
// phone the server does not have.
func errPhoneNotFound(apiUser string, u vicidial.UpdatePhoneRequest) error {
	return &vicidial.APIError{Function: "update_phone", Reason: vicidial.ReasonPhoneNotFound,
		Message: "PHONE DOES NOT EXIST ON THIS SERVER", Data: []string{apiUser, u.ServerIP, u.Extension}}
}

// ownPhoneLogin is the login of the task's own phone ("" for none).
func ownPhoneLogin(t *task) string {
	switch st := t.d.Phone; {
	case st == nil:
	case st.Add != nil:
		return st.Add.PhoneLogin
	case st.Known:
		return st.Record.Login
	}
	return ""
}
