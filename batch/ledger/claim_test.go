package ledger_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/batch/ledger/ledgertest"
)

// claimEnv is a ledger with this test's run (mine, on db) and another
// process's live run (other, on a second handle of the same file).
type claimEnv struct {
	path      string
	db        *ledger.DB
	mine      batch.RunID
	otherDB   *ledger.DB
	otherRun  batch.RunID
	priorRuns map[string]batch.RunID // named runs a setup made
}

func newClaimEnv(t *testing.T) *claimEnv {
	path := ledgerPath(t)
	e := &claimEnv{path: path, db: openAt(t, path), otherDB: openAt(t, path), priorRuns: map[string]batch.RunID{}}
	e.mine = begin(t, e.db, start("/in.csv", t0.Add(time.Hour)))
	e.otherRun = begin(t, e.otherDB, start("/other.csv", t0))
	e.priorRuns["mine"], e.priorRuns["other"] = e.mine, e.otherRun
	return e
}

// deadClaim claims c in a run whose handle is then closed without
// FinishRun, as when its process is killed.
func (e *claimEnv) deadClaim(t *testing.T, c batch.Claim) batch.RunID {
	h, err := ledger.Open(context.Background(), e.path, optsFor(e.path))
	if err != nil {
		t.Fatal(err)
	}
	run := begin(t, h, start("/dead.csv", t0))
	if r := claimOne(t, h, run, c); !r.Granted {
		t.Fatalf("dead run's claim not granted: %+v", r)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	return run
}

func TestClaim(t *testing.T) {
	for _, c := range []struct {
		name       string
		setup      func(t *testing.T, e *claimEnv)
		granted    bool
		priorState batch.PersonState // "" for no prior record
		priorLive  bool
		priorRun   string // the run the prior names: mine, other, dead
	}{
		{name: "no record", setup: func(*testing.T, *claimEnv) {}, granted: true},
		{name: "in flight in a dead run", setup: func(t *testing.T, e *claimEnv) {
			e.priorRuns["dead"] = e.deadClaim(t, claim("K", "klogin"))
		}, granted: true, priorState: batch.PersonInFlight, priorRun: "dead"},
		{name: "unknown outcome", setup: func(t *testing.T, e *claimEnv) {
			claimOne(t, e.otherDB, e.otherRun, claim("K", "klogin"))
			record(t, e.otherDB, e.otherRun, rec("K", "klogin", batch.StatusUnknown, batch.EffectUnknown))
		}, granted: true, priorState: batch.PersonUnknown, priorRun: "other"},
		{name: "created", setup: func(t *testing.T, e *claimEnv) {
			claimOne(t, e.otherDB, e.otherRun, claim("K", "klogin"))
			record(t, e.otherDB, e.otherRun, rec("K", "klogin", batch.StatusSuccess, batch.EffectCreated))
		}, granted: false, priorState: batch.PersonCreated, priorRun: "other"},
		{name: "in flight in another live run", setup: func(t *testing.T, e *claimEnv) {
			claimOne(t, e.otherDB, e.otherRun, claim("K", "klogin"))
		}, granted: false, priorState: batch.PersonInFlight, priorLive: true, priorRun: "other"},
		{name: "in flight in the same run", setup: func(t *testing.T, e *claimEnv) {
			claimOne(t, e.db, e.mine, claim("K", "klogin"))
		}, granted: false, priorState: batch.PersonInFlight, priorLive: true, priorRun: "mine"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newClaimEnv(t)
			c.setup(t, e)
			got := claimOne(t, e.db, e.mine, claim("K", "klogin2"))
			if got.Granted != c.granted {
				t.Errorf("Granted = %v, want %v", got.Granted, c.granted)
			}
			if got.HadPrior != (c.priorState != "") {
				t.Errorf("HadPrior = %v, want %v", got.HadPrior, c.priorState != "")
			}
			if c.priorState != "" {
				p := got.Prior
				if p.State != c.priorState || p.Live != c.priorLive || p.RunID != e.priorRuns[c.priorRun] ||
					p.Key != "K" || p.Login != "klogin" {
					t.Errorf("Prior = %+v; want state %s, live %v, run %s (%s), login klogin",
						p, c.priorState, c.priorLive, c.priorRun, e.priorRuns[c.priorRun])
				}
			}
			// The record now: the claim's when granted, the prior otherwise.
			p, ok := person(t, e.db, "K")
			if !ok {
				t.Fatal("no record after the claim")
			}
			if c.granted {
				if p.State != batch.PersonInFlight || p.RunID != e.mine || !p.Live || p.Login != "klogin2" {
					t.Errorf("after a granted claim: %+v; want in flight in this run, live, login klogin2", p)
				}
			} else if p.State != c.priorState || p.RunID != e.priorRuns[c.priorRun] {
				t.Errorf("after a refused claim: %+v; want it unchanged", p)
			}
			// The other handle (another process) sees the same.
			if q, _, err := e.otherDB.Person(context.Background(), server, "K"); err != nil || q.State != p.State || q.RunID != p.RunID || q.Live != p.Live {
				t.Errorf("other handle sees %+v, %v; this one %+v", q, err, p)
			}
		})
	}
}

func TestClaimSameKeyTwiceInOneCall(t *testing.T) {
	db := openAt(t, ledgerPath(t))
	run := begin(t, db, start("/in.csv", t0))
	res, err := db.Claim(context.Background(), run, []batch.Claim{claim("K", "a"), claim("K", "a"), claim("L", "b")})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Granted || res[1].Granted || !res[2].Granted {
		t.Fatalf("results %+v: want granted, refused, granted", res)
	}
	if p := res[1].Prior; p.State != batch.PersonInFlight || p.RunID != run || !p.Live {
		t.Errorf("second claim's prior %+v: want in flight in this run", p)
	}
}

func TestClaimAutogeneratedKeepsNoLogin(t *testing.T) {
	db := openAt(t, ledgerPath(t))
	run := begin(t, db, start("/in.csv", t0))
	claimOne(t, db, run, claim("K", "AUTOGENERATED"))
	if p, _ := person(t, db, "K"); p.Login != "" {
		t.Errorf("login %q in flight for AUTOGENERATED, want empty", p.Login)
	}
}

func TestClaimErrors(t *testing.T) {
	db := openAt(t, ledgerPath(t))
	run := begin(t, db, start("/in.csv", t0))
	if _, err := db.Claim(context.Background(), "20260101T000000Z-000000", []batch.Claim{claim("K", "a")}); !errors.Is(err, ledger.ErrRunNotActive) {
		t.Errorf("claim for a run not begun here: %v, want ErrRunNotActive", err)
	}
	if _, err := db.Claim(context.Background(), run, []batch.Claim{{Server: server, Line: 7}}); err == nil {
		t.Error("claim without a key: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Claim(ctx, run, []batch.Claim{claim("K", "a")}); !errors.Is(err, context.Canceled) {
		t.Errorf("claim with a cancelled context: %v", err)
	}
	if _, ok := person(t, db, "K"); ok {
		t.Error("a claim that returned an error was recorded")
	}
	if err := db.FinishRun(context.Background(), run, batch.RunEnd{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Claim(context.Background(), run, []batch.Claim{claim("K", "a")}); !errors.Is(err, ledger.ErrRunNotActive) {
		t.Errorf("claim after FinishRun: %v, want ErrRunNotActive", err)
	}
}

// Two handles on one file act as two processes: claims of the same keys
// from many goroutines of both grant each key exactly once.
func TestConcurrentClaimsGrantEachKeyOnce(t *testing.T) {
	path := ledgerPath(t)
	dbs := []*ledger.DB{openAt(t, path), openAt(t, path)}
	runs := []batch.RunID{begin(t, dbs[0], start("/in.csv", t0)), begin(t, dbs[1], start("/in.csv", t0))}
	const keys, goroutines, chunk = 120, 8, 4

	var mu sync.Mutex
	granted := map[string][]batch.RunID{}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			db, run := dbs[g%2], runs[g%2]
			order := rand.Perm(keys)
			for i := 0; i < keys; i += chunk {
				var cs []batch.Claim
				for _, k := range order[i : i+chunk] {
					cs = append(cs, claim(fmt.Sprintf("E%03d", k), fmt.Sprintf("agent%03d", k)))
				}
				res, err := db.Claim(context.Background(), run, cs)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for j, r := range res {
					if r.Granted {
						granted[cs[j].Key] = append(granted[cs[j].Key], run)
					} else if !r.HadPrior || r.Prior.State != batch.PersonInFlight || !r.Prior.Live {
						errs <- fmt.Errorf("%s refused with prior %+v", cs[j].Key, r.Prior)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for k := range keys {
		key := fmt.Sprintf("E%03d", k)
		g := granted[key]
		if len(g) != 1 {
			t.Errorf("%s granted %d times (%v), want once", key, len(g), g)
			continue
		}
		if p, _ := person(t, dbs[0], key); p.RunID != g[0] || p.State != batch.PersonInFlight {
			t.Errorf("%s: record %+v, want in flight in %s", key, p, g[0])
		}
	}
}

func TestLiveness(t *testing.T) {
	for _, c := range []struct {
		name string
		end  func(t *testing.T, h *ledger.DB, run batch.RunID)
	}{
		{"FinishRun", func(t *testing.T, h *ledger.DB, run batch.RunID) {
			if err := h.FinishRun(context.Background(), run, batch.RunEnd{Ended: t0}); err != nil {
				t.Fatal(err)
			}
		}},
		{"Close without FinishRun", func(t *testing.T, h *ledger.DB, run batch.RunID) {
			if err := h.Close(); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := ledgerPath(t)
			db, h := openAt(t, path), openAt(t, path)
			run := begin(t, h, start("/in.csv", t0))
			claimOne(t, h, run, claim("K", "k"))
			lock := filepath.Join(path+".runs", string(run)+".lock")
			sqlite := ledgertest.Engine() == "sqlite"
			if _, err := os.Stat(lock); sqlite && err != nil {
				t.Fatalf("live run's lock file: %v", err)
			}
			if p, _ := person(t, db, "K"); !p.Live {
				t.Fatalf("while the run is live: %+v, want Live", p)
			}
			c.end(t, h, run)
			if p, _ := person(t, db, "K"); p.State != batch.PersonInFlight || p.Live {
				t.Errorf("after %s: %+v, want in flight and not live", c.name, p)
			}
			if _, err := os.Stat(lock); sqlite && err == nil {
				t.Errorf("lock file %s left behind", lock)
			}
			mine := begin(t, db, start("/in.csv", t0.Add(time.Hour)))
			if r := claimOne(t, db, mine, claim("K", "k")); !r.Granted || r.Prior.RunID != run || r.Prior.Live {
				t.Errorf("claim after %s: %+v, want granted over the dead claim", c.name, r)
			}
			runs, err := db.Runs(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range runs {
				if r.ID == run && r.End.Ended.IsZero() != (c.name != "FinishRun") {
					t.Errorf("after %s: run's end %v", c.name, r.End.Ended)
				}
			}
		})
	}
}

// helperEnv tells the test binary to act as a run holding a claim.
const helperEnv = "LEDGER_TEST_HELPER_PATH"

// TestHelperProcess is not a test: run with helperEnv set, it is a
// vicionboard process that claims key K and waits to be killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	db, err := ledger.Open(context.Background(), path, ledger.Options{KeyFile: os.Getenv(helperEnv + "_KEY"), RunsDir: os.Getenv(helperEnv + "_RUNS")})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	run, err := db.BeginRun(context.Background(), start("/in.csv", t0))
	if err == nil {
		_, err = db.Claim(context.Background(), run, []batch.Claim{claim("K", "k")})
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("claimed", run)
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestKilledProcessClaimIsNotLive(t *testing.T) {
	path := ledgerPath(t)
	db := openAt(t, path)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	o := optsFor(path)
	cmd.Env = append(os.Environ(), helperEnv+"="+path, helperEnv+"_KEY="+o.KeyFile, helperEnv+"_RUNS="+o.RunsDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var line, runID string
	if sc := bufio.NewScanner(out); sc.Scan() {
		line = sc.Text()
	}
	if _, err := fmt.Sscanf(line, "claimed %s", &runID); err != nil {
		t.Fatalf("helper said %q", line)
	}
	if p, _ := person(t, db, "K"); p.State != batch.PersonInFlight || !p.Live || string(p.RunID) != runID {
		t.Fatalf("while the helper runs: %+v, want in flight in %s, live", p, runID)
	}
	mine := begin(t, db, start("/in.csv", t0.Add(time.Hour)))
	if r := claimOne(t, db, mine, claim("K", "k")); r.Granted {
		t.Fatalf("claim granted while the helper lives: %+v", r)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup at all
		t.Fatal(err)
	}
	cmd.Wait()
	// The process is gone; PostgreSQL ends its session (and the session's
	// lock, which is the run's liveness) once its backend reads the closed
	// socket: a moment later, not at once. Wait for that, not for a time.
	p, _ := person(t, db, "K")
	for deadline := time.Now().Add(30 * time.Second); p.Live && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		p, _ = person(t, db, "K")
	}
	if p.State != batch.PersonInFlight || p.Live {
		t.Errorf("after kill -9: %+v, want in flight, not live", p)
	}
	if r := claimOne(t, db, mine, claim("K", "k")); !r.Granted || string(r.Prior.RunID) != runID || r.Prior.Live {
		t.Errorf("claim after kill -9: %+v, want granted over the dead claim", r)
	}
}

func TestOpenSweepsDeadRunLocks(t *testing.T) {
	sqliteOnly(t)
	path := ledgerPath(t)
	db := openAt(t, path)
	live := begin(t, db, start("/in.csv", t0))
	dir := path + ".runs"
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"20260101T000000Z-dead00.lock", "20260101T000000Z-young0.lock"} {
		write(t, filepath.Join(dir, name), nil)
	}
	liveLock := filepath.Join(dir, string(live)+".lock")
	for _, name := range []string{"20260101T000000Z-dead00.lock", filepath.Base(liveLock)} {
		if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	openAt(t, path) // another process starting
	for name, want := range map[string]bool{
		"20260101T000000Z-dead00.lock": false, // old and free: its process died
		"20260101T000000Z-young0.lock": true,  // may be about to be locked
		filepath.Base(liveLock):        true,  // locked by a live run
	} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
}

// A claim that cannot get the write lock fails after the busy timeout,
// and the ledger works again once the other transaction ends.
func TestClaimWaitsForOtherWriterThenFails(t *testing.T) {
	path := ledgerPath(t)
	o := optsFor(path)
	o.BusyTimeout = 50 * time.Millisecond
	db, err := ledger.Open(context.Background(), path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := begin(t, db, start("/in.csv", t0))

	release := holdWriteLock(t, path, "persons")
	_, err = db.Claim(context.Background(), run, []batch.Claim{claim("K", "k")})
	if err == nil {
		t.Fatal("claim succeeded while another process held the write lock")
	}
	if errors.Is(err, batch.ErrLedgerDamaged) {
		t.Errorf("a busy ledger reported as damaged: %v", err)
	}
	if !ledger.IsBusy(err) {
		t.Errorf("the claim's error does not say the ledger is busy: %v", err)
	}
	release()
	if r := claimOne(t, db, run, claim("K", "k")); !r.Granted {
		t.Errorf("claim after the other transaction ended: %+v", r)
	}
}

func TestFinishRunCompletesWithCancelledContext(t *testing.T) {
	db := openAt(t, ledgerPath(t))
	run := begin(t, db, start("/in.csv", t0))
	if err := db.Record(context.Background(), run, rec("K", "k", batch.StatusSuccess, batch.EffectCreated)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // an interrupted run
	if err := db.FinishRun(ctx, run, batch.RunEnd{Ended: t0.Add(time.Minute), Rows: 1, ExitCode: 130}); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	r, ok, err := db.Run(context.Background(), run)
	if err != nil || !ok || !r.End.Ended.Equal(t0.Add(time.Minute)) || r.End.ExitCode != 130 {
		t.Errorf("run after FinishRun: %+v, %v, %v", r, ok, err)
	}
	if p, _ := person(t, db, "K"); p.State != batch.PersonCreated {
		t.Errorf("the queued record was not committed: %+v", p)
	}
}
