package main

import (
	"errors"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vicionboard/vicionboard/report"
)

// storageTrouble is what stopped a file being written, as a hint tells it.
type storageTrouble int

const (
	storageOK       storageTrouble = iota
	storageFull                    // no space, a quota or a file-size limit
	storageReadOnly                // a read-only file system, or no permission
	storageIO                      // an I/O error: full, or failing
)

// storageOf tells what err says of the disk under a file being written:
// the system's error (ENOSPC, EROFS...) or SQLite's (SQLITE_FULL,
// SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_IOERR).
func storageOf(err error) storageTrouble {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EFBIG):
		return storageFull
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return storageReadOnly
	case errors.Is(err, syscall.EIO):
		return storageIO
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return storageOK
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return storageFull
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
		return storageReadOnly
	case sqlite3.SQLITE_IOERR:
		if se.Code() == sqlite3.SQLITE_IOERR_SHMSIZE {
			return storageFull // the -shm file could not grow: no space
		}
		return storageIO
	}
	return storageOK
}

// storageHint says what to do about a file that could not be written, or
// returns "". Running again is safe however far the run got: the ledger
// settles what was in flight before anything is sent again.
func storageHint(err error) string {
	var fe *report.FileError
	which := "the file named above"
	if errors.As(err, &fe) {
		which = "the result file's folder"
	}
	const again = "then run the same command again: what this run created is in the ledger, and rows it had in flight are checked on the server before anything is sent again"
	switch storageOf(err) {
	case storageFull:
		return "the disk under " + which + " is full (or a quota or file-size limit was reached): free space there (df -h shows it), or give --out or --ledger another disk; " + again
	case storageReadOnly:
		return which + " cannot be written: a read-only file system, or this user may not write the file or its folder: remount it, fix the permissions, or give --out or --ledger a writable place; " + again
	case storageIO:
		return "the disk under " + which + " gave an I/O error: it may be full or failing (df -h, dmesg); " + again
	}
	return ""
}
