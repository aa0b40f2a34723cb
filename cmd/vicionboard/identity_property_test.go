package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestIdentityProperty runs random nightly sequences against one simulator
// and one ledger, each night's export mangled the ways HR tools mangle
// them: keys re-formatted (case, spaces, a spreadsheet's 1007.0), rows
// dropped and back, blank keys, a key typo. Whatever the sequence, the
// server never holds two accounts for one person, and a person present in
// the file is never deactivated.
func TestIdentityProperty(t *testing.T) {
	if testing.Short() {
		t.Skip("runs many nights")
	}
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 17))
			generated := seed%2 == 0
			flags := []string{"--update", "--deactivate-missing", "--max-deactivate", "0", "--max-deactivate-percent", "0",
				"--max-changed-percent", "0", "--max-new", "0"}
			if generated {
				flags = append(flags, "--map", writeFile(t, t.TempDir(), "map.yaml", hrMap))
			} else {
				flags = append(flags, "--key", "employee_id")
			}
			n := newNightly(t, flags...)
			type person struct {
				id, first, last string
				digits          bool // an id Excel can turn into a number
			}
			var people []person
			for i := range 12 {
				p := person{id: fmt.Sprintf("E%04d", i), first: fmt.Sprintf("Pat%c", 'a'+rune(i)), last: fmt.Sprintf("Lane%c", 'a'+rune(i))}
				if i%3 == 0 {
					p.id, p.digits = fmt.Sprint(2000+i), true
				}
				people = append(people, p)
			}
			for night := 1; night <= 5; night++ {
				var b strings.Builder
				if generated {
					b.WriteString(hrHeader)
				} else {
					b.WriteString("employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,email\n")
				}
				var present []person // in the file tonight, whatever their key looks like
				for i, p := range people {
					if night > 1 && rng.IntN(6) == 0 {
						continue // not in tonight's export
					}
					key := p.id
					switch rng.IntN(8) {
					case 0:
						key = strings.ToLower(key)
					case 1:
						key = "  " + key + " "
					case 2:
						if p.digits {
							key += ".0"
						}
					case 3:
						if night > 1 {
							key = "" // a blank key cell
						}
					case 4:
						if night > 1 && !generated {
							key = strings.Replace(key, "0", "O", 1) // a typo
						}
					}
					present = append(present, p)
					if generated {
						fmt.Fprintf(&b, "%s,%s,%s,%s@example.com\n", key, p.first, p.last, strings.ToLower(p.first))
					} else {
						fmt.Fprintf(&b, "%s,lp%02d,Start-2026x,%s %s,1,AGENTS,\n", key, i, p.first, p.last)
					}
				}
				wasActive := map[string]bool{} // by login, before tonight
				for _, a := range n.srv.Sim.Accounts() {
					wasActive[a.User] = a.Active != "N"
				}
				got, _ := n.night("run", fmt.Sprintf("night%d", night), b.String())
				if got.code != exitOK && got.code != exitRowsFailed {
					t.Fatalf("night %d: exit %d\n%s", night, got.code, got.stderr)
				}
				byName := map[string][]string{}
				deactivated := map[string]bool{} // by full name: an account active before tonight, not after
				for _, a := range n.srv.Sim.Accounts() {
					byName[a.FullName] = append(byName[a.FullName], a.User)
					if a.Active == "N" && wasActive[a.User] {
						deactivated[a.FullName] = true
					}
				}
				for _, p := range people {
					name := p.first + " " + p.last
					if len(byName[name]) > 1 {
						t.Errorf("night %d: %s has %d accounts: %v", night, name, len(byName[name]), byName[name])
					}
				}
				for _, p := range present {
					if deactivated[p.first+" "+p.last] {
						t.Errorf("night %d: %s is in the file, and was deactivated tonight", night, p.first+" "+p.last)
					}
				}
			}
		})
	}
}
