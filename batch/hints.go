package batch

import (
	"context"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/batch/words"
	"github.com/vicionboard/vicionboard/vicidial"
)

// This file holds what turns an error into its fix: the names a value
// could have meant. (The signs of what a spreadsheet or its export did to
// a cell are package cells'.)

// InGroupLister is implemented by a server dependency (an Inspector, the
// run's Accounts) that can list the server's in-groups; *vicidial.Client
// does. It is optional: without it in_groups are not checked against the
// server.
type InGroupLister interface {
	InGroups(ctx context.Context) ([]string, error)
}

// FetchInGroups returns the server's in-groups for Options.InGroups, or nil
// when they are unknown: accounts does not implement InGroupLister (an
// offline check, a test double), the API user may not call ingroup_list,
// the call failed, or it listed none. Each of the last three is logged
// once, as a warning that in_groups are not checked; the warning never
// holds a password (the client's errors have none).
//
// It makes one ingroup_list call. Call it after the API user's credentials
// are proven (a wrong password here counts towards the server's lockout
// like any other call).
func FetchInGroups(ctx context.Context, accounts any, log zerolog.Logger) []string {
	lister, ok := accounts.(InGroupLister)
	if !ok {
		return nil
	}
	ids, err := lister.InGroups(ctx)
	switch reason := vicidial.ReasonOf(err); {
	case err == nil && len(ids) == 0:
		// A dialer without a single active in-group is rare; a page whose
		// links this version cannot read would look the same, and would
		// make every row naming an in-group INVALID.
		log.Warn().Msg("the server's in-group list (ingroup_list) names none: in_groups are not checked against the server")
	case err == nil:
		log.Debug().Int("in_groups", len(ids)).Msg("listed the server's in-groups")
		return ids
	case reason == vicidial.ReasonFunctionNotAllowed || reason == vicidial.ReasonNoPermission:
		log.Warn().Str("reason", string(reason)).
			Msg("the API user may not list in-groups (ingroup_list): in_groups are not checked against the server")
	default:
		log.Warn().Err(err).Msg("could not list the server's in-groups: in_groups are not checked against the server")
	}
	return nil
}

// maxListed is how many names a hint lists before "and N more".
const maxListed = 10

// listNames joins at most maxListed names with ", ", then "and N more".
func listNames(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

// minPrefix is the shortest prefix that makes a name close to another.
const minPrefix = 3

// closest returns the name of names that v most likely misspells, compared
// without case: at most 2 edits away (and fewer edits than the shorter has
// characters, so that "AB" does not suggest "XY"), or one a prefix of the
// other of minPrefix characters or more ("SUP" for "SUPPORT"). Fewer edits
// win, an edit beats a prefix, the earlier name wins a tie; "" when no name
// is close.
func closest(v string, names []string) string {
	lv := strings.ToLower(v)
	best, bestScore := "", -1
	for _, n := range names {
		ln := strings.ToLower(n)
		if ln == lv {
			continue // the same name: nothing to suggest
		}
		d := words.Distance(lv, ln)
		score := -1
		switch short := min(len(lv), len(ln)); {
		case d <= 2 && d < short:
			score = d
		case short >= minPrefix && (strings.HasPrefix(ln, lv) || strings.HasPrefix(lv, ln)):
			score = 100 + d
		}
		if score >= 0 && (bestScore < 0 || score < bestScore) {
			best, bestScore = n, score
		}
	}
	return best
}

// withClosest appends "; closest: NAME" to a list of names when one is
// close to v.
func withClosest(list, v string, names []string) string {
	if c := closest(v, names); c != "" {
		return list + "; closest: " + c
	}
	return list
}

// nothingKeptFix is what to do about a full name VICIdial would delete
// entirely (a name in a non-Latin script).
const nothingKeptFix = `VICIdial keeps only Latin letters, digits and - +.:/@_ in names; give a romanised name, or map a preferred-name column (in --map: agent_full_name: "{Preferred Name|First Name} {Last Name}")`
