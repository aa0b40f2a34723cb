package batch

import (
	"hash/maphash"
	"math"
	"math/bits"
	"strings"
)

// LoginIndex remembers the logins seen in a file, to find duplicates. It
// is the only state of a run that grows with the number of rows, so it
// keeps a 64-bit hash of each login (case-insensitive, as VICIdial's
// database compares them) and the line it was first seen on, 12 bytes, in
// open-addressing tables kept 64% to 80% full: about 17.5 bytes a row, with
// no pointers for the garbage collector to scan. Two different logins share
// a hash with a probability near 1 in 10^7 for a million-row file. Not safe
// for concurrent use.
type LoginIndex struct {
	seed maphash.Seed
	hash func(maphash.Seed, string) uint64 // of the lower-cased login; tests replace it
	segs [segments]segment
	n    int
}

// The index is split by the top bits of the hash into segments, each a
// table that grows on its own by a quarter when it would be more than 80%
// full. Segment i's sizes are minSlots * 1.25^(k + i/segments): the
// segments fill at the same pace but grow at different moments, so that
// the index never holds an old and a new copy of much of itself, and its
// bytes a row do not swing with the number of rows.
const (
	segBits  = 6
	segments = 1 << segBits
	minSlots = 8
	growth   = 1.25
)

// segment is an open-addressing table with linear probing: slot i holds a
// login's hash (0: empty) and its first line.
type segment struct {
	hashes []uint64
	lines  []uint32
	n      int
	level  int // the size's step in the sequence of segment sizes
}

// NewLoginIndex returns an empty index.
func NewLoginIndex() *LoginIndex {
	ix := &LoginIndex{seed: maphash.MakeSeed(), hash: maphash.String}
	for i := range ix.segs {
		ix.segs[i].level = i - segments // the first grow brings it to i
	}
	return ix
}

// Claim records login as seen on line. If it was seen before, it returns
// the first line and dup true; the first occurrence wins.
func (ix *LoginIndex) Claim(login string, line int) (firstLine int, dup bool) {
	h := ix.sum(login)
	s := &ix.segs[h>>(64-segBits)]
	i, found := s.find(h)
	if found {
		return int(s.lines[i]), true
	}
	if (s.n+1)*5 > len(s.hashes)*4 { // more than 80% full
		s.grow()
		i, _ = s.find(h)
	}
	s.hashes[i], s.lines[i] = h, uint32(line)
	s.n++
	ix.n++
	return line, false
}

// Len returns the number of distinct logins seen.
func (ix *LoginIndex) Len() int { return ix.n }

// Seen reports whether login was claimed.
func (ix *LoginIndex) Seen(login string) bool {
	h := ix.sum(login)
	_, found := ix.segs[h>>(64-segBits)].find(h)
	return found
}

// sum is the hash of login, never 0 (the mark of an empty slot): a real
// 0 counts as 1, which changes the odds of a collision by 1 in 2^64.
func (ix *LoginIndex) sum(login string) uint64 {
	h := ix.hash(ix.seed, strings.ToLower(login))
	if h == 0 {
		h = 1
	}
	return h
}

// find returns the slot holding h and true, or the empty slot where h
// belongs and false (-1 when the segment has no slots yet).
func (s *segment) find(h uint64) (int, bool) {
	if len(s.hashes) == 0 {
		return -1, false
	}
	// The top bits chose the segment; the rest, scaled to the segment's
	// size, choose the first slot to look at.
	i, _ := bits.Mul64(h<<segBits, uint64(len(s.hashes)))
	for {
		switch s.hashes[i] {
		case h:
			return int(i), true
		case 0:
			return int(i), false
		}
		if i++; i == uint64(len(s.hashes)) {
			i = 0
		}
	}
}

// grow makes the segment its next size, a quarter larger, and moves its
// entries over.
func (s *segment) grow() {
	hashes, lines := s.hashes, s.lines
	s.level += segments
	n := max(len(hashes)+1, int(minSlots*math.Pow(growth, float64(s.level)/segments)))
	s.hashes, s.lines = make([]uint64, n), make([]uint32, n)
	for j, h := range hashes {
		if h != 0 {
			i, _ := s.find(h)
			s.hashes[i], s.lines[i] = h, lines[j]
		}
	}
}
