package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIdentityProperty runs random nightly sequences against one simulator
// and one ledger, each night's export mangled the ways HR tools mangle
// them (keys re-formatted: case, spaces, a spreadsheet's 1007.0; rows
// dropped and back; blank keys; a key typo; a truncated export) and each
// night's job the ways IT's do (the file renamed, the server reached at
// another URL, the ledger truncated, or restored from an older backup).
// Whatever the sequence, the server never holds two accounts for one
// person, and a person present in the file is never deactivated.
func TestIdentityProperty(t *testing.T) {
	if testing.Short() {
		t.Skip("runs many nights")
	}
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 17))
			generated := seed%2 == 0
			flags := []string{"--update", "--deactivate-missing", "--max-deactivate", "0", "--max-deactivate-percent", "0",
				"--max-changed-percent", "0", "--max-new", "0", "--feed", "hr-nightly"}
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
			ledgerFile := n.flags[1]
			urls := []string{n.env["VICIDIAL_URL"], strings.Replace(n.env["VICIDIAL_URL"], "127.0.0.1", "localhost", 1)}
			backup := ""
			var story []string // what each night met, for the log
			defer func() { t.Logf("nights: %s", strings.Join(story, " ")) }()
			for night := 1; night <= 7; night++ {
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
					if night > 2 && rng.IntN(9) == 0 {
						continue // a truncated export (refused, or these few taken for leavers)
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
				// What IT does to the job tonight.
				restored := false
				switch op := rng.IntN(6); {
				case op == 0 && night > 1:
					n.env["VICIDIAL_URL"] = urls[rng.IntN(2)] // the dialer under another address
				case op == 1 && night > 1:
					copyFile(t, ledgerFile, ledgerFile+".saved")
					if err := os.Truncate(ledgerFile, 0); err != nil {
						t.Fatal(err)
					}
				case op == 2 && backup != "":
					copyFile(t, backup, ledgerFile) // last week's backup, restored
					os.Remove(ledgerFile + "-wal")
					restored = true
				case op == 3 && night > 1:
					backup = filepath.Join(t.TempDir(), "backup.db")
					copyFile(t, ledgerFile, backup)
				}
				file := fmt.Sprintf("export-2026-12-%02d.csv", night) // a dated file name every night
				got, _ := n.at("run", file, b.String())
				story = append(story, fmt.Sprintf("%d:exit%d", night, got.code))
				switch got.code {
				case exitOK, exitRowsFailed:
				case exitSafeguard: // the dialer under another URL, or a truncated export: nothing was sent
					if strings.Contains(got.stderr, "set-url") {
						servers := invoke(t, n.env, "ledger", "servers", "--ledger", ledgerFile, "--format", "csv")
						name := strings.Split(strings.Split(servers.stdout, "\n")[1], ",")[0]
						invoke(t, n.env, "ledger", "set-url", name, n.env["VICIDIAL_URL"], "--ledger", ledgerFile)
					}
				case exitFatal: // a ledger that is not yesterday's: nothing was sent
					if _, err := os.Stat(ledgerFile + ".saved"); err == nil {
						copyFile(t, ledgerFile+".saved", ledgerFile)
						os.Remove(ledgerFile + ".saved")
					} else if restored {
						// IT accepts the restored backup, and what it lost.
						got, _ = n.at("run", file, b.String(), "--fresh")
					}
				default:
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

// copyFile copies the file from to to.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
