package batch

import (
	"fmt"
	"strconv"
	"strings"
)

// This file is the privilege ceiling: VICIdial's user level is its
// permission model (1-7 agents, team leads and supervisors; 8 and 9
// managers and administrators, who can change users, campaigns and the
// system), and an HR export never makes a manager or an administrator on
// its own. The decision stage asks it.

// DefaultMaxLevel is the highest user level a job gives unless told
// otherwise (--max-level): a supervisor's.
const DefaultMaxLevel = 7

// managerLevel is the lowest level that can change users.
const managerLevel = 8

// maxLevel is the ceiling of rules (DefaultMaxLevel when unset).
func (r Rules) maxLevel() int {
	if r.MaxLevel <= 0 {
		return DefaultMaxLevel
	}
	return r.MaxLevel
}

// aboveMaxLevel is the INVALID outcome of a row that would create or copy
// an account above rules.MaxLevel (through its own level, its template's,
// or a copy's own values), if it would.
func aboveMaxLevel(f Facts, rules Rules) (Outcome, bool) {
	plan, max := f.Plan, rules.maxLevel()
	refuse := func(why string) (Outcome, bool) {
		return invalidOutcome(why+fmt.Sprintf(": an HR export never makes a manager or an administrator on its own (--max-level %d); "+
			"create that account by hand, or run with --max-level 9 if this job is meant to", max), CodeAboveMaxLevel, plan), true
	}
	switch plan.Action {
	case ActionAdd:
		if plan.Add.Level > max {
			return refuse(fmt.Sprintf("agent_user_level %d is above the highest level this job may give", plan.Add.Level))
		}
	case ActionCopy:
		tmpl := plan.Copy.SourceUser
		switch {
		case f.TemplateUnread != "":
			return refuse(fmt.Sprintf("template %s: a copy gets the template's user level, and it could not be read (%s)", tmpl, f.TemplateUnread))
		case f.TemplateLevel > max:
			return refuse(fmt.Sprintf("template %s has user level %d, above the highest level this job may give", tmpl, f.TemplateLevel))
		}
		if plan.Update != nil {
			if lvl, _ := strconv.Atoi(plan.Update.Level); lvl > max {
				return refuse(fmt.Sprintf("agent_user_level %d is above the highest level this job may give", lvl))
			}
		}
	}
	return Outcome{}, false
}

// holdLevelRaise splits the changes of an update into those it applies and
// the level raises it holds for a person: a raise above rules.MaxLevel,
// and a raise to 8 or 9 without rules.AllowLevelRaise. Lowering a level,
// or raising it within 1-7 under the ceiling, is an ordinary change.
func holdLevelRaise(changes []Change, rules Rules) (kept, held []Change) {
	for _, c := range changes {
		if c.Field == "agent_user_level" {
			old, _ := strconv.Atoi(c.Old)
			n, _ := strconv.Atoi(c.New)
			if n > old && (n > rules.maxLevel() || n >= managerLevel && !rules.AllowLevelRaise) {
				held = append(held, c)
				continue
			}
		}
		kept = append(kept, c)
	}
	return kept, held
}

// levelRaiseReason says why level raises were held, and how to let them
// through.
func levelRaiseReason(login string, held []Change, rules Rules) string {
	var parts []string
	for _, c := range held {
		n, _ := strconv.Atoi(c.New)
		how := "raising an account to level 8 or 9 (a manager or an administrator) needs a person: run with --allow-level-raise"
		if n > rules.maxLevel() {
			how = fmt.Sprintf("it is above the highest level this job may give (--max-level %d): run with --max-level %d --allow-level-raise if a person decided so", rules.maxLevel(), n)
		}
		parts = append(parts, fmt.Sprintf("%s held, not applied to account %s: %s", c.String(), login, how))
	}
	return strings.Join(parts, "; ")
}
