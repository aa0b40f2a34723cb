package batch

import (
	"hash/maphash"
	"strings"
)

// LoginIndex remembers the logins seen in a file, to find duplicates. It
// is the only state of a run that grows with the number of rows, so it
// keeps a 64-bit hash of each login (case-insensitive, as VICIdial's
// database compares them) and the line it was first seen on: about 16 bytes
// a row plus the map's overhead. Two different logins share a hash with a
// probability near 1 in 10^7 for a million-row file. Not safe for
// concurrent use.
type LoginIndex struct {
	seed  maphash.Seed
	lines map[uint64]uint32
}

// NewLoginIndex returns an empty index.
func NewLoginIndex() *LoginIndex {
	return &LoginIndex{seed: maphash.MakeSeed(), lines: map[uint64]uint32{}}
}

// Claim records login as seen on line. If it was seen before, it returns
// the first line and dup true; the first occurrence wins.
func (ix *LoginIndex) Claim(login string, line int) (firstLine int, dup bool) {
	h := maphash.String(ix.seed, strings.ToLower(login))
	if first, ok := ix.lines[h]; ok {
		return int(first), true
	}
	ix.lines[h] = uint32(line)
	return line, false
}

// Len returns the number of distinct logins seen.
func (ix *LoginIndex) Len() int { return len(ix.lines) }

// Seen reports whether login was claimed.
func (ix *LoginIndex) Seen(login string) bool {
	_, ok := ix.lines[maphash.String(ix.seed, strings.ToLower(login))]
	return ok
}
