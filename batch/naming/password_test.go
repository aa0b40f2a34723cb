package naming

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// allowed is the password alphabet as the documentation states it:
// [A-HJ-NP-Za-km-np-z2-9], VICIdial's login characters less 0 O o 1 l I - _.
func allowed() map[byte]bool {
	m := map[byte]bool{}
	for c := byte('0'); c <= '9'; c++ {
		m[c] = true
	}
	for c := byte('a'); c <= 'z'; c++ {
		m[c], m[c-'a'+'A'] = true, true
	}
	for _, c := range []byte("0Oo1lI") {
		delete(m, c)
	}
	return m
}

func TestPasswordAlphabet(t *testing.T) {
	want := allowed()
	if len(passwordAlphabet) != len(want) {
		t.Errorf("alphabet has %d characters, want %d", len(passwordAlphabet), len(want))
	}
	for i := 0; i < len(passwordAlphabet); i++ {
		c := passwordAlphabet[i]
		if !want[c] {
			t.Errorf("alphabet has %q", c)
		}
		if strings.IndexByte(passwordAlphabet, c) != i {
			t.Errorf("alphabet has %q twice", c)
		}
	}
	if acceptBelow != 224 {
		t.Errorf("acceptBelow = %d, want 224 (4*56)", acceptBelow)
	}
}

// stream returns the random bytes that pick the characters of pws, each
// byte lifted by a multiple of 56 (which must not change the pick), after
// the bytes of before, padded to the 32-byte blocks NewPassword reads.
func stream(before []byte, pws ...string) io.Reader {
	b := append([]byte(nil), before...)
	k := 0
	for _, pw := range pws {
		for i := 0; i < len(pw); i++ {
			j := strings.IndexByte(passwordAlphabet, pw[i])
			if j < 0 {
				panic("stream: " + string(pw[i]) + " is not in the alphabet")
			}
			b = append(b, byte(j+56*(k%4)))
			k++
		}
	}
	for len(b)%32 != 0 {
		b = append(b, 0)
	}
	return bytes.NewReader(b)
}

func TestNewPasswordDraws(t *testing.T) {
	for _, c := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"picks byte mod 56", stream(nil, "Abcdefghij2K"), "Abcdefghij2K"},
		{"drops bytes 224 and up", stream([]byte{224, 255, 230}, "Zz9Aa2Bb3Cc4"), "Zz9Aa2Bb3Cc4"},
		{"redraws without a digit", stream(nil, "abcdefghijkA", "abcdefghij2A"), "abcdefghij2A"},
		{"redraws without an upper-case letter", stream(nil, "abcdefghij23", "abcdefghij2A"), "abcdefghij2A"},
		{"redraws without a lower-case letter", stream(nil, "ABCDEFGHJK23", "ABCDEFGHJK2a"), "ABCDEFGHJK2a"},
	} {
		got, err := NewPassword(c.r)
		if err != nil || got != c.want {
			t.Errorf("%s: NewPassword = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestNewPasswordErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, c := range []struct {
		name string
		r    io.Reader
		is   error  // the error must wrap it, if set
		msg  string // the error must contain it
	}{
		{"reader error", iotest.ErrReader(boom), boom, "reading the random source"},
		{"error after some bytes", io.MultiReader(bytes.NewReader(make([]byte, 40)), iotest.ErrReader(boom)), boom, "boom"},
		{"short reader", strings.NewReader("abc"), io.ErrUnexpectedEOF, "reading the random source"},
		{"zeros: never a digit", bytes.NewReader(make([]byte, 1<<20)), nil, "it is not random"},
		{"0xff: always rejected", bytes.NewReader(bytes.Repeat([]byte{0xff}, 1<<20)), nil, "it is not random"},
	} {
		got, err := NewPassword(c.r)
		if err == nil {
			t.Errorf("%s: NewPassword = %q, want an error", c.name, got)
			continue
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %v does not wrap %v", c.name, err, c.is)
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.msg)
		}
	}
}

// checkPassword fails t unless pw is a well-formed generated password.
func checkPassword(t *testing.T, pw string) {
	t.Helper()
	if len(pw) != PasswordLength {
		t.Fatalf("password %q has %d characters, want %d", pw, len(pw), PasswordLength)
	}
	ok := allowed()
	var digit, upper, lower bool
	for i := 0; i < len(pw); i++ {
		c := pw[i]
		if !ok[c] {
			t.Fatalf("password %q has %q", pw, c)
		}
		digit = digit || c >= '0' && c <= '9'
		upper = upper || c >= 'A' && c <= 'Z'
		lower = lower || c >= 'a' && c <= 'z'
	}
	if !digit || !upper || !lower {
		t.Fatalf("password %q lacks a digit, an upper-case or a lower-case letter", pw)
	}
}

func TestNewPasswordCryptoRand(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		pw, err := NewPassword(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		checkPassword(t, pw)
		if seen[pw] {
			t.Fatalf("password %q drawn twice", pw)
		}
		seen[pw] = true
	}
}

func TestNewPasswordDistribution(t *testing.T) {
	const draws = 20000
	r := mrand.NewChaCha8([32]byte{'v', 'i', 'c', 'i'})
	counts := map[byte]int{}
	for range draws {
		pw, err := NewPassword(r)
		if err != nil {
			t.Fatal(err)
		}
		checkPassword(t, pw)
		for i := 0; i < len(pw); i++ {
			counts[pw[i]]++
		}
	}
	ok := allowed()
	mean := float64(draws*PasswordLength) / float64(len(ok))
	for c := range ok {
		// Uniform but for the redraws, which favour the 8 digits a
		// little (about 1.2 times the mean): far inside these bounds.
		if n := counts[c]; float64(n) < 0.7*mean || float64(n) > 1.4*mean {
			t.Errorf("%q drawn %d times in %d passwords, expected about %.0f", c, n, draws, mean)
		}
	}
	for c := range counts {
		if !ok[c] {
			t.Errorf("%q drawn, not allowed", c)
		}
	}
}

func TestDerivePassword(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	otherKey := bytes.Repeat([]byte{7}, 32)
	otherKey[31] = 8
	info := "vicionboard agent_pass\x00https://pbx.example.com\x00login:jsmith"
	pw := DerivePassword(key, info)
	checkPassword(t, pw)
	if again := DerivePassword(key, info); again != pw {
		t.Errorf("DerivePassword gave %q then %q", pw, again)
	}
	for _, c := range []struct {
		name string
		key  []byte
		info string
	}{
		{"other key", otherKey, info},
		{"other server", key, "vicionboard agent_pass\x00https://pbx2.example.com\x00login:jsmith"},
		{"other person", key, "vicionboard agent_pass\x00https://pbx.example.com\x00login:jsmith2"},
		{"empty info", key, ""},
	} {
		if got := DerivePassword(c.key, c.info); got == pw {
			t.Errorf("%s: same password %q", c.name, got)
		} else {
			checkPassword(t, got)
		}
	}
	// It is NewPassword over HKDF-Expand's output, however that is read.
	okm, err := hkdf.Expand(sha256.New, key, info, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if want, err := NewPassword(bytes.NewReader(okm)); err != nil || want != pw {
		t.Errorf("DerivePassword = %q, NewPassword(HKDF-Expand) = %q, %v", pw, want, err)
	}
}

// TestDerivePasswordFixed pins DerivePassword: a rerun after a crash must
// derive the password the server was sent, so a change that fails this
// test would lock out agents whose report was lost.
func TestDerivePasswordFixed(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for _, c := range []struct{ info, want string }{
		{"vicionboard agent_pass\x00https://pbx.example.com\x00login:jsmith", "9QLJpgPvnqZS"},
		{"vicionboard agent_pass\x00https://pbx.example.com\x00login:mlee", "Xkb9uci5H78E"},
	} {
		if got := DerivePassword(key, c.info); got != c.want {
			t.Errorf("DerivePassword(%q) = %q, want %q", c.info, got, c.want)
		}
	}
}

// TestHKDFStream checks the stream past its first expansion: it must read
// exactly HKDF-Expand's longest output, then report exhaustion.
func TestHKDFStream(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	want, err := hkdf.Expand(sha256.New, key, "info", maxRandomBytes)
	if err != nil {
		t.Fatal(err)
	}
	s := &hkdfStream{key: key, info: "info"}
	var got []byte
	buf := make([]byte, 32)
	for len(got) < maxRandomBytes {
		n, err := s.Read(buf)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, want) {
		t.Error("stream differs from HKDF-Expand's output")
	}
	if n, err := s.Read(buf); err == nil {
		t.Errorf("read %d bytes past %d, want an error", n, maxRandomBytes)
	}
}
