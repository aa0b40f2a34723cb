package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Survey is what a planning pass over the whole input learns before
// anything is sent: how many rows there are, and how many of them the run
// would create, find already created, or find changed. The safeguards
// compare it with the ledger's memory.
type Survey struct {
	Rows    int // data rows, readable or not
	Invalid int // rows that break a local rule
	New     int // rows whose person the ledger does not know: the run would create them
	Known   int // rows whose person the ledger knows as created
	Changed int // of Known, rows whose values differ from the values last applied
	// Deactivate counts the accounts the run would deactivate
	// (--deactivate-missing): persons absent from the input, and rows
	// whose active column is N.
	Deactivate int
	// Examples of changed rows ("line 7: agent_user_group: SUPPORT -> SALES"),
	// at most a few, for the safeguard's message.
	ChangedExamples []string
}

// maxExamples is how many changed rows a survey quotes.
const maxExamples = 3

// SurveyConfig says where a survey looks persons up.
type SurveyConfig struct {
	Ledger Ledger // nil: every valid row counts as new
	Server string
	Input  string
	Keys   *Keyer
	Strict bool
	// DeactivateMissing counts the deactivations a run with
	// --deactivate-missing would make.
	DeactivateMissing bool
	// PassDigest as in Config.
	PassDigest func(password string) string
}

// Surveying reads every row of in and classifies it as a run would, with
// the ledger's records, without sending anything or writing to the
// ledger. Its memory does not grow with the rows (with --deactivate-missing,
// but for the index of the keys present).
func Surveying(ctx context.Context, in *Reader, cfg SurveyConfig) (Survey, error) {
	var s Survey
	var present *LoginIndex
	if cfg.DeactivateMissing && cfg.Ledger != nil {
		present = NewLoginIndex()
	}
	for {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		row, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s, fmt.Errorf("read input: %w", err)
		}
		s.Rows++
		cfg.Keys.markPresent(present, row)
		if row.Prior != nil && Status(row.Prior.Status).Done() {
			// Carried over from an earlier result file: counted as known.
			s.Known++
			continue
		}
		// No duplicate-login index here: the run's is the one index that
		// grows with the rows (a row repeating a login counts as its
		// first's, new or known).
		plan, invalid := screen(row, Options{Strict: cfg.Strict, PassDigest: cfg.PassDigest}, nil, time.Time{})
		if invalid != nil {
			s.Invalid++
			continue
		}
		key, err := cfg.Keys.Key(row, plan)
		if err != nil {
			s.Invalid++
			continue
		}
		if cfg.Ledger == nil {
			s.New++
			continue
		}
		p, ok, err := cfg.Ledger.Person(ctx, cfg.Server, key)
		if err != nil {
			return s, err
		}
		switch {
		case !ok:
			s.New++
		case p.State != PersonCreated:
			// In flight or unknown: settled by the run, not counted as new.
		case KeyByLogin(key) && !sameName(p.FullName, plan.FullName()):
			s.New++ // another person under a login the ledger knows: the server decides
		default:
			s.Known++
			// A copy whose own values are pending is not a change of HR's.
			if ch := Changes(p, comparable(p, plan, key)); len(ch) > 0 && !OwnValuesPending(p) {
				s.Changed++
				if len(s.ChangedExamples) < maxExamples {
					s.ChangedExamples = append(s.ChangedExamples, fmt.Sprintf("line %d: %s", row.Line, joinChanges(ch)))
				}
			}
			if ch, ok := activeChange(p, plan.Active); ok && present != nil && ch.New == "N" && !Adopted(p) {
				s.Deactivate++
			}
		}
	}
	if present == nil {
		return s, nil
	}
	err := cfg.Ledger.Persons(ctx, cfg.Server, cfg.Input, func(p Person) error {
		if leaving(p, present) {
			s.Deactivate++
		}
		return nil
	})
	return s, err
}

func joinChanges(ch []Change) string {
	parts := make([]string, len(ch))
	for i, c := range ch {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

// Safeguards are the thresholds that stop a run before its first request
// when its plan looks like a bad export rather than a night of real
// changes (after Okta's import safeguards and rclone's --max-delete).
type Safeguards struct {
	// MinRowsPercent: the input must have at least this share of the rows
	// of the last finished run on the same input and server (a truncated
	// export). Default 50.
	MinRowsPercent int
	// MaxNew: the run may create at most this many accounts; 0 for no
	// limit. Default 50.
	MaxNew int
	// MaxNewPercent: once the ledger knows MinKnownForNew accounts for this
	// input, the run may create at most this share of them. Default 20.
	MaxNewPercent int
	// MaxChangedPercent: once MinKnownForChanged known persons are in the
	// input, at most this share of them may differ from the values applied
	// (a shifted column or the wrong export). Default 20.
	MaxChangedPercent int
	// MaxDeactivate: the run may deactivate at most this many accounts; 0
	// for no limit. Default 10.
	MaxDeactivate int
	// MaxDeactivatePercent: nor more than this share of the accounts the
	// ledger knows for the input (a single leaver never trips it).
	// Default 10.
	MaxDeactivatePercent int
}

// Defaults of the safeguards, and the sizes from which the shares apply.
const (
	DefaultMinRowsPercent    = 50
	DefaultMaxNew            = 50
	DefaultMaxNewPercent     = 20
	DefaultMaxChangedPercent = 20
	DefaultMaxDeactivate     = 10
	DefaultMaxDeactivatePct  = 10
	MinKnownForNew           = 50
	MinKnownForChanged       = 10
)

// DefaultSafeguards returns the documented defaults.
func DefaultSafeguards() Safeguards {
	return Safeguards{MinRowsPercent: DefaultMinRowsPercent, MaxNew: DefaultMaxNew,
		MaxNewPercent: DefaultMaxNewPercent, MaxChangedPercent: DefaultMaxChangedPercent,
		MaxDeactivate: DefaultMaxDeactivate, MaxDeactivatePercent: DefaultMaxDeactivatePct}
}

// SafeguardError says which safeguards a plan trips, with the figures.
// Nothing was sent.
type SafeguardError struct {
	Tripped []string // one sentence per safeguard, with its figures and flag
}

// Error lists the tripped safeguards.
func (e *SafeguardError) Error() string {
	return "safeguard: nothing was sent: " + strings.Join(e.Tripped, "; ")
}

// Check compares a survey with the last finished run on the same input
// and server (nil when there is none) and with how many accounts the
// ledger knows for that input. It returns nil when the plan passes.
func (g Safeguards) Check(s Survey, last *RunSummary, known int) *SafeguardError {
	var tripped []string
	if last != nil && g.MinRowsPercent > 0 && s.Rows*100 < last.End.Rows*g.MinRowsPercent {
		tripped = append(tripped, fmt.Sprintf(
			"the input has %d rows, fewer than %d%% of the %d rows of the last run on it (%s): a truncated export? (--min-rows-percent)",
			s.Rows, g.MinRowsPercent, last.End.Rows, last.ID))
	}
	if g.MaxNew > 0 && s.New > g.MaxNew {
		tripped = append(tripped, fmt.Sprintf("the run would create %d accounts, more than --max-new %d", s.New, g.MaxNew))
	}
	if known >= MinKnownForNew && g.MaxNewPercent > 0 && s.New*100 > known*g.MaxNewPercent {
		tripped = append(tripped, fmt.Sprintf(
			"the run would create %d accounts, more than %d%% of the %d the ledger knows for this input (--max-new-percent)",
			s.New, g.MaxNewPercent, known))
	}
	if s.Known >= MinKnownForChanged && g.MaxChangedPercent > 0 && s.Changed*100 > s.Known*g.MaxChangedPercent {
		msg := fmt.Sprintf(
			"%d of the %d known persons' rows differ from the values applied, more than %d%%: a shifted column or the wrong export? (--max-changed-percent)",
			s.Changed, s.Known, g.MaxChangedPercent)
		if len(s.ChangedExamples) > 0 {
			msg += " e.g. " + strings.Join(s.ChangedExamples, "; ")
		}
		tripped = append(tripped, msg)
	}
	if d := s.Deactivate; g.MaxDeactivate > 0 && d > g.MaxDeactivate {
		tripped = append(tripped, fmt.Sprintf("the run would deactivate %d accounts, more than --max-deactivate %d", d, g.MaxDeactivate))
	} else if d > 1 && g.MaxDeactivatePercent > 0 && d*100 > known*g.MaxDeactivatePercent {
		tripped = append(tripped, fmt.Sprintf("the run would deactivate %d of the %d accounts the ledger knows for this input, more than %d%% (--max-deactivate-percent)",
			d, known, g.MaxDeactivatePercent))
	}
	if len(tripped) == 0 {
		return nil
	}
	return &SafeguardError{Tripped: tripped}
}
