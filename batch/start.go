package batch

import (
	"context"
	"fmt"

	"github.com/vicionboard/vicionboard/vicidial"
)

// This file starts a pipeline: what it needs before the first row.

// start prepares the pipeline for its mode before any row is read: a dry
// run's predictor and ledger view; the API user's credentials, proven
// with one user_details call; the server's in-groups; and the generator
// of logins and passwords.
func (r *run) start(ctx, callCtx context.Context) error {
	if r.dry {
		if r.accounts != nil {
			if err := probeSafe(r.cfg.APIUser); err != nil {
				return err
			}
		}
		r.predict = newPredictor(r.accounts, r.cfg.APIUser, r.stop)
		r.accounts = r.predict
		r.ledger = newDryLedger(r.ledger)
	}
	online := r.cfg.Mode != ModeSurvey && r.cfg.Accounts != nil
	if online && r.cfg.APIUser != "" && ctx.Err() == nil {
		r.preflight(callCtx)
		if !r.stopped.Load() {
			// After the credentials are proven: a wrong password on
			// ingroup_list would count towards the server's lockout.
			r.inGroups = FetchInGroups(callCtx, r.cfg.Accounts, r.log)
		}
	}
	if r.predict != nil {
		r.predict.canLookup = r.canCheck
	}
	var lookup loginLookup
	if online && r.canCheck {
		lookup = func(_ context.Context, login string) (string, bool, error) { return r.loginExists(callCtx, login) }
	}
	r.gen = newGenerator(r.cfg.Generate, r.cfg.Keys, r.ledger, r.cfg.Server, lookup)
	r.gen.resendUnknown = r.cfg.ResendUnknown
	r.gen.placeholders = r.cfg.Mode == ModeSurvey
	r.gen.rules = r.rules
	return nil
}

// preflight proves the credentials with one user_details call before any
// row is sent.
func (r *run) preflight(ctx context.Context) {
	_, err := r.cfg.Accounts.UserDetails(ctx, r.cfg.APIUser)
	switch {
	case err == nil:
	case vicidial.IsFatal(err) && vicidial.ReasonOf(err) != vicidial.ReasonFunctionNotAllowed &&
		vicidial.ReasonOf(err) != vicidial.ReasonNoPermission:
		r.stop(err)
	case vicidial.ReasonOf(err) != "":
		// Credentials are right, but user_details is not allowed: unknown
		// outcomes cannot be settled and stay UNKNOWN.
		r.canCheck = false
		r.log.Warn().Str("reason", string(vicidial.ReasonOf(err))).
			Msg("the API user may not use user_details: unknown outcomes cannot be verified")
	case vicidial.IsTransport(err):
		r.stop(fmt.Errorf("server unreachable: %w", err))
	default:
		r.stop(fmt.Errorf("checking the API user's credentials: %w", err))
	}
}
