package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// The process's temporary files (a workbook's copy and the parts excelize
// unpacks, the .xlsx result's buffers) go to a private folder of its own,
// so that none is left behind whatever ends the process but kill -9, and a
// folder kill -9 left is found and removed by the next run:
//
//   - main makes $TMPDIR/vicionboard-tmp-* (mode 0700), holds the lock of
//     its .lock file while it lives (the kernel releases it when the
//     process dies), and points TMPDIR at it, so that every temporary
//     file the process or a library makes lands inside;
//   - the folder is removed at the end, and by the second signal's
//     immediate exit (which skips deferred functions);
//   - at the start, folders of that name whose lock is free (their process
//     died) are removed.
//
// Files a run keeps beside its result file (the copy of an input read from
// a pipe) are registered with addScratch, and removed the same ways.
const (
	tempPrefix = "vicionboard-tmp-"
	tempLock   = ".lock"
	// tempSweepAge protects a folder between its creation and its lock.
	tempSweepAge = time.Minute
)

// tempDirLock holds the lock of the process's private temporary folder.
var tempDirLock *flock.Flock

// scratch is what the process removes however it exits (but kill -9).
var scratch struct {
	mu    sync.Mutex
	paths map[string]bool
}

// addScratch registers path (a file or a folder) for removal at exit.
func addScratch(path string) {
	scratch.mu.Lock()
	defer scratch.mu.Unlock()
	if scratch.paths == nil {
		scratch.paths = map[string]bool{}
	}
	scratch.paths[path] = true
}

// dropScratch removes path now, and no longer at exit.
func dropScratch(path string) {
	scratch.mu.Lock()
	delete(scratch.paths, path)
	scratch.mu.Unlock()
	_ = os.RemoveAll(path)
}

// removeScratch removes everything registered; it is called on the way
// out of the process.
func removeScratch() {
	scratch.mu.Lock()
	defer scratch.mu.Unlock()
	for p := range scratch.paths {
		_ = os.RemoveAll(p)
	}
	scratch.paths = nil
}

// privateTempDir makes the process's temporary folder inside the system's
// (after removing those of dead processes), points TMPDIR at it and
// registers it for removal at exit. On any failure it leaves TMPDIR as it
// was: temporary files then go where they always did.
func privateTempDir() {
	base := os.TempDir()
	sweepTempDirs(base)
	dir, err := os.MkdirTemp(base, tempPrefix+"*")
	if err != nil {
		return
	}
	lock := flock.New(filepath.Join(dir, tempLock))
	if ok, err := lock.TryLock(); err != nil || !ok {
		_ = os.RemoveAll(dir)
		return
	}
	// The lock stays held until the process ends: tempDirLock keeps its
	// file open (a file the collector finalised would release it).
	tempDirLock = lock
	addScratch(dir)
	os.Setenv("TMPDIR", dir)
}

// sweepTempDirs removes the private temporary folders in base of processes
// that died without removing them (kill -9, a crash), best effort: a
// folder whose lock is held belongs to a live process, one without a lock
// file is left alone while it is young (its process is about to lock it),
// and another user's folders cannot be removed anyway.
func sweepTempDirs(base string) {
	ents, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		removeIfDead(filepath.Join(base, e.Name()))
	}
}

// removeIfDead removes the private temporary folder dir when it belongs
// to a process that is gone: its lock is free (it is removed while this
// process holds the lock, so that a process just making it cannot take it
// meanwhile), or it has no lock file and is not young.
func removeIfDead(dir string) {
	path := filepath.Join(dir, tempLock)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if di, err := os.Stat(dir); err == nil && time.Since(di.ModTime()) > tempSweepAge {
			_ = os.RemoveAll(dir)
		}
		return
	} else if err != nil {
		return
	}
	l := flock.New(path)
	if ok, err := l.TryLock(); err == nil && ok {
		_ = os.RemoveAll(dir)
		_ = l.Unlock()
	}
}
