package batch

import (
	"fmt"
	"hash/maphash"
	"runtime"
	"strconv"
	"testing"
)

func TestLoginIndexClaim(t *testing.T) {
	type claim struct {
		login     string
		line      int
		wantFirst int
		wantDup   bool
	}
	for _, tc := range []struct {
		name    string
		claims  []claim
		wantLen int
	}{
		{"distinct", []claim{{"jsmith", 2, 2, false}, {"jsmith2", 3, 3, false}, {"mjones", 4, 4, false}}, 3},
		{"repeat", []claim{{"jsmith", 2, 2, false}, {"jsmith", 3, 2, true}, {"jsmith", 4, 2, true}}, 1},
		{"case-insensitive", []claim{{"JSmith", 2, 2, false}, {"jsmith", 5, 2, true}, {"JSMITH", 6, 2, true}}, 1},
		{"first line wins", []claim{{"a", 9, 9, false}, {"b", 3, 3, false}, {"A", 2, 9, true}, {"B", 10, 3, true}}, 2},
		{"empty login", []claim{{"", 2, 2, false}, {"", 3, 2, true}}, 1},
		{"non-ASCII", []claim{{"JOSÉ", 2, 2, false}, {"josé", 3, 2, true}, {"jose", 4, 4, false}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := NewLoginIndex()
			for _, c := range tc.claims {
				if first, dup := ix.Claim(c.login, c.line); first != c.wantFirst || dup != c.wantDup {
					t.Errorf("Claim(%q, %d) = %d, %v; want %d, %v", c.login, c.line, first, dup, c.wantFirst, c.wantDup)
				}
				if !ix.Seen(c.login) {
					t.Errorf("Seen(%q) = false after claiming it", c.login)
				}
			}
			if got := ix.Len(); got != tc.wantLen {
				t.Errorf("Len = %d, want %d", got, tc.wantLen)
			}
			if ix.Seen("never-claimed") {
				t.Error(`Seen("never-claimed") = true`)
			}
		})
	}
}

// TestLoginIndexGrowth claims enough logins to grow every segment many
// times, then checks that each is still there with its own line.
func TestLoginIndexGrowth(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 50_000
	}
	ix := NewLoginIndex()
	for i := range n {
		if _, dup := ix.Claim(fmt.Sprintf("m%07d", i), i+2); dup {
			t.Fatalf("m%07d: a new login is a duplicate", i)
		}
	}
	if got := ix.Len(); got != n {
		t.Fatalf("Len = %d, want %d", got, n)
	}
	for i := range n {
		login := fmt.Sprintf("M%07d", i)
		if !ix.Seen(login) {
			t.Fatalf("Seen(%q) = false", login)
		}
		if first, dup := ix.Claim(login, n+i); !dup || first != i+2 {
			t.Fatalf("Claim(%q) = %d, %v; want %d, true", login, first, dup, i+2)
		}
	}
	for i := range 1000 {
		if login := fmt.Sprintf("x%07d", i); ix.Seen(login) {
			t.Fatalf("Seen(%q) = true, never claimed", login)
		}
	}
	if got := ix.Len(); got != n {
		t.Errorf("Len after repeats = %d, want %d", got, n)
	}
}

// TestLoginIndexHash replaces the hash with ones that put every login in
// one segment: at its first slot, at its last (so that probing wraps
// around), or spread over it; each goes through long runs of full slots and
// every growth. The last login claimed, k0, hashes to 0, the mark of an
// empty slot, in a segment full of others.
func TestLoginIndexHash(t *testing.T) {
	const n = 3000
	number := func(login string) uint64 { // "k12" -> 12
		v, err := strconv.ParseUint(login[1:], 10, 64)
		if login[0] != 'k' || err != nil {
			t.Fatalf("hash of %q: want k and a number (lower-cased)", login)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		hash func(uint64) uint64
	}{
		{"first slots", func(v uint64) uint64 { return v + 1 }},               // segment 0, slot 0
		{"last slots", func(v uint64) uint64 { return ^v }},                   // the last segment, its last slot
		{"spread, and a zero hash", func(v uint64) uint64 { return v << 46 }}, // segment 0 (v < 2^12); k0 hashes to 0
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := NewLoginIndex()
			ix.hash = func(_ maphash.Seed, login string) uint64 { return tc.hash(number(login)) }
			for i := n - 1; i >= 0; i-- {
				login := fmt.Sprintf("K%d", i)
				if ix.Seen(login) {
					t.Fatalf("Seen(%q) = true before it is claimed", login)
				}
				if first, dup := ix.Claim(login, i+2); first != i+2 || dup {
					t.Fatalf("Claim(%q) = %d, %v; want %d, false", login, first, dup, i+2)
				}
			}
			if got := ix.Len(); got != n {
				t.Fatalf("Len = %d, want %d", got, n)
			}
			for i := range n {
				login := fmt.Sprintf("k%d", i)
				if !ix.Seen(login) {
					t.Fatalf("Seen(%q) = false", login)
				}
				if first, dup := ix.Claim(login, 1); !dup || first != i+2 {
					t.Fatalf("Claim(%q) again = %d, %v; want %d, true", login, first, dup, i+2)
				}
			}
			if login := fmt.Sprintf("k%d", n); ix.Seen(login) {
				t.Errorf("Seen(%q) = true, never claimed", login)
			}
		})
	}
}

// BenchmarkLoginIndex claims n distinct logins in a fresh index, then each
// of them again (the duplicate path): ns/claim is the mean of the 2n
// claims, bytes/row the heap the full index holds per login.
func BenchmarkLoginIndex(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			logins := make([]string, n)
			for i := range logins {
				logins[i] = fmt.Sprintf("m%07d", i)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ix := NewLoginIndex()
			for i, l := range logins {
				ix.Claim(l, i+2)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(ix)
			bytesPerRow := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
			ops := 0
			for b.Loop() {
				ix := NewLoginIndex()
				for i, l := range logins {
					ix.Claim(l, i+2)
				}
				for i, l := range logins {
					if _, dup := ix.Claim(l, i+2); !dup {
						b.Fatalf("%s: not a duplicate", l)
					}
				}
				ops += 2 * n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops), "ns/claim")
			b.ReportMetric(bytesPerRow, "bytes/row") // after b.Loop, which clears what came before
		})
	}
}
