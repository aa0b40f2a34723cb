package batch

import "context"

// This file starts a pipeline: what it needs before the first row.

// start prepares the pipeline for its mode before any row is read: its
// servers (each proven with one user_details call, its in-groups listed,
// a predictor in a dry run), a dry run's view of the ledger, and the
// generator of logins and passwords.
func (r *run) start(ctx, callCtx context.Context) error {
	r.newDialers()
	if r.dry {
		r.ledger = newDryLedger(r.ledger)
	}
	for _, dl := range r.order {
		if err := r.startDialer(ctx, callCtx, dl); err != nil {
			return err
		}
	}
	r.gen = newGenerator(r.cfg.Generate, r.cfg.Keys, r.ledger)
	r.gen.resendUnknown = r.cfg.ResendUnknown
	r.gen.placeholders = r.cfg.Mode == ModeSurvey
	r.gen.rules = r.rules
	r.gen.phones = r.cfg.Phones
	return nil
}
