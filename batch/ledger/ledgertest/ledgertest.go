// Package ledgertest runs the ledger's tests against both of its engines:
// SQLite always, and PostgreSQL in a throwaway cluster that the tests start
// themselves (initdb and postgres from Debian's postgresql package, in a
// temporary folder, listening on a Unix socket only: no TCP port at all).
//
// A test package calls Main from its TestMain: its tests run on SQLite,
// then, in a child process of the same test binary with the same flags,
// on PostgreSQL. New gives each test a fresh ledger on the engine of the
// process: a file in the test's temporary folder, or a schema of its own in
// the cluster's database. Where PostgreSQL is missing, the PostgreSQL run
// is skipped with a message saying how to install it; under CI (CI=true)
// it fails instead.
package ledgertest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql's "pgx"
)

// EngineEnv selects the engine of a test process: "sqlite" (the default)
// or "postgres". Set it to run one engine only, e.g.
// VICIONBOARD_LEDGER_TEST_ENGINE=postgres go test -run TestClaim ./batch/ledger
const EngineEnv = "VICIONBOARD_LEDGER_TEST_ENGINE"

// BinEnv names the folder of PostgreSQL's programs (initdb, postgres), when
// they are not in /usr/lib/postgresql/*/bin or on the PATH.
const BinEnv = "VICIONBOARD_PG_BIN"

// childEnv marks the child process Main starts.
const childEnv = "VICIONBOARD_LEDGER_TEST_CHILD"

// Install says how to get PostgreSQL's programs.
const Install = "install PostgreSQL's server programs to run them (Debian/Ubuntu: apt-get install postgresql; " +
	"or set " + BinEnv + " to the folder of initdb and postgres)"

// Engine returns the engine this test process runs against.
func Engine() string {
	if os.Getenv(EngineEnv) == "postgres" {
		return "postgres"
	}
	return "sqlite"
}

// Main runs m on this process's engine, then, when the engine was not
// chosen through EngineEnv, runs the same test binary again on PostgreSQL,
// and exits with the worse of the two codes. It stops the cluster at the
// end.
func Main(m *testing.M) {
	code := m.Run()
	stopShared()
	if os.Getenv(EngineEnv) != "" || os.Getenv(childEnv) != "" {
		os.Exit(code)
	}
	if _, err := findBin(); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Printf("FAIL: the PostgreSQL ledger tests cannot run under CI: %v: %s\n", err, Install)
			os.Exit(1)
		}
		fmt.Printf("PostgreSQL ledger tests skipped: %v: %s\n", err, Install)
		os.Exit(code)
	}
	fmt.Println("=== the same tests against PostgreSQL (" + EngineEnv + "=postgres) ===")
	var args []string
	for _, a := range os.Args[1:] {
		// The child's coverage and profiles would overwrite the parent's.
		if strings.HasPrefix(a, "-test.coverprofile") || strings.HasPrefix(a, "-test.cpuprofile") ||
			strings.HasPrefix(a, "-test.memprofile") || strings.HasPrefix(a, "-test.trace") {
			continue
		}
		args = append(args, a)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), EngineEnv+"=postgres", childEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		fmt.Println("=== FAIL against PostgreSQL ===")
		os.Exit(max(code, ee.ExitCode(), 1))
	case err != nil:
		fmt.Println("FAIL: the PostgreSQL run:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// Ledger is a fresh ledger for a test.
type Ledger struct {
	Location string // a file's path, or a postgres:// URL
	// KeyFile and RunsDir are the ledger's key file and runs folder: ""
	// (the defaults beside the file) for SQLite; in the test's temporary
	// folder for PostgreSQL.
	KeyFile string
	RunsDir string
}

// New returns a fresh ledger on this process's engine.
func New(t testing.TB) Ledger {
	t.Helper()
	dir := t.TempDir()
	if Engine() == "sqlite" {
		return Ledger{Location: filepath.Join(dir, "state", "ledger.db")}
	}
	c := Postgres(t)
	return Ledger{Location: c.NewSchema(t), KeyFile: filepath.Join(dir, "ledger.key"), RunsDir: filepath.Join(dir, "runs")}
}

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
)

// Postgres returns the test binary's cluster, starting it on first use. It
// skips t where PostgreSQL is missing, and fails it under CI.
func Postgres(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start(StartOptions{}) })
	if sharedErr != nil {
		if errors.Is(sharedErr, ErrNoPostgres) && os.Getenv("CI") != "true" {
			t.Skipf("%v: %s", sharedErr, Install)
		}
		t.Fatalf("PostgreSQL for the tests: %v", sharedErr)
	}
	return shared
}

// stopShared stops the shared cluster, if it was started.
func stopShared() {
	if shared != nil {
		shared.Stop()
	}
}

// StopShared stops the cluster Postgres started: for a TestMain that does
// not call Main.
func StopShared() { stopShared() }

// ErrNoPostgres says PostgreSQL's programs are not on this machine.
var ErrNoPostgres = errors.New("PostgreSQL's initdb and postgres are not on this machine")

// findBin returns the folder of initdb and postgres.
func findBin() (string, error) {
	var dirs []string
	if d := os.Getenv(BinEnv); d != "" {
		dirs = append(dirs, d)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	dirs = append(dirs, found...)
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

// version is the major version in /usr/lib/postgresql/N/bin.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Cluster is a throwaway PostgreSQL cluster in a temporary folder,
// listening on a Unix socket in it. Its database "ledger" is owned by the
// superuser; the role "ledger" (no superuser, no CREATEDB, no CREATEROLE)
// owns one schema per ledger, which is all the rights a ledger needs.
type Cluster struct {
	dir  string // the temporary folder: data/, the socket, the log
	cmd  *exec.Cmd
	n    atomic.Int64
	db   *sql.DB // the superuser's connection to the ledger database
	done chan struct{}
}

// StartOptions tune Start.
type StartOptions struct {
	// Durable keeps PostgreSQL's fsync and synchronous commits (for
	// measurements); tests run without.
	Durable bool
	// Dir is where the cluster's folder is made (default the system's
	// temporary directory).
	Dir string
}

// Start initialises and starts a cluster. As root it runs PostgreSQL as
// the user postgres (initdb refuses root).
func Start(o StartOptions) (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.Dir, "vb-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			c.Stop()
		}
	}()
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("initdb refuses to run as root, and there is no user postgres to run it as (the postgresql package makes one): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	args := []string{"-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "port=5432",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB"}
	if !o.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logf, err := os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	c.cmd.Dir = dir
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	// The cluster dies with the test binary, however it ends.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := c.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	go func() { c.cmd.Wait(); logf.Close(); close(c.done) }()
	admin, err := c.connect("postgres", "postgres")
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	for _, q := range []string{
		"CREATE ROLE ledger LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
		"CREATE DATABASE ledger",
	} {
		if _, err := admin.Exec(q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	if c.db, err = c.connect("postgres", "ledger"); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

// connect waits for the cluster to accept connections, up to 30 seconds.
func (c *Cluster) connect(role, database string) (*sql.DB, error) {
	db, err := sql.Open("pgx", c.URL(role, database, ""))
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return db, nil
		}
		select {
		case <-c.done:
			db.Close()
			log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
			return nil, fmt.Errorf("postgres exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			db.Close()
			return nil, fmt.Errorf("postgres did not accept connections: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// URL returns the URL of database as role, over the cluster's socket,
// with search_path schema when not "".
func (c *Cluster) URL(role, database, schema string) string {
	q := url.Values{}
	q.Set("host", c.dir)
	if schema != "" {
		q.Set("search_path", schema)
	}
	return (&url.URL{Scheme: "postgres", User: url.User(role), Path: "/" + database, RawQuery: q.Encode()}).String()
}

// SocketDir returns the folder of the cluster's Unix socket.
func (c *Cluster) SocketDir() string { return c.dir }

// NewSchema makes a schema owned by the role ledger in the database
// ledger, and returns the ledger's URL in it.
func (c *Cluster) NewSchema(t testing.TB) string {
	t.Helper()
	s, err := c.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Schema is NewSchema without a test.
func (c *Cluster) Schema() (string, error) {
	name := fmt.Sprintf("l%d", c.n.Add(1))
	if _, err := c.db.Exec("CREATE SCHEMA " + name + " AUTHORIZATION ledger"); err != nil {
		return "", err
	}
	return c.URL("ledger", "ledger", name), nil
}

// Exec runs a statement as the superuser in the database ledger.
func (c *Cluster) Exec(query string, args ...any) error {
	_, err := c.db.Exec(query, args...)
	return err
}

// Stop stops the cluster (a fast shutdown) and removes its folder.
func (c *Cluster) Stop() {
	if c.db != nil {
		c.db.Close()
	}
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
	os.RemoveAll(c.dir)
}
