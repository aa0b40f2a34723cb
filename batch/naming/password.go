package naming

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

// PasswordLength is the length of a generated password.
const PasswordLength = 12

// passwordAlphabet is what a generated password is made of: the characters
// VICIdial keeps in a password, less those easily misread when a password
// is read aloud or copied from paper (0 O o 1 l I) and the punctuation
// (- _). 56 characters, so a password has about 69 bits of entropy.
const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ" + "abcdefghijkmnpqrstuvwxyz" + "23456789"

// acceptBelow is the largest multiple of len(passwordAlphabet) that fits
// in a byte: a random byte at or above it is dropped, so that byte %
// len(passwordAlphabet) picks every character equally often.
const acceptBelow = 256 / len(passwordAlphabet) * len(passwordAlphabet)

// maxRandomBytes bounds what one password may read. A real random source
// needs about 17 bytes on average, and more than 4096 with a probability
// far below 2^-500; a source that gives only rejected bytes or passwords
// without the three classes (a broken one, or a reader of zeros) gets an
// error instead of a loop for ever. It is less than HKDF-SHA256's limit of
// 255*32 bytes, so DerivePassword's stream never runs dry.
const maxRandomBytes = 4096

// NewPassword returns a random password of PasswordLength characters, with
// at least one digit, one upper-case and one lower-case letter, from the
// characters VICIdial keeps and people read without mistakes (no 0 O o 1 l
// I, no - or _). r is the random source: crypto/rand.Reader in production.
// Each character is drawn uniformly (a byte that would favour some
// characters is dropped and another read), and a password missing a class
// is drawn again whole. The error is r's, or says r is not random.
func NewPassword(r io.Reader) (string, error) {
	src := byteSource{r: r}
	var pw [PasswordLength]byte
	for {
		for i := range pw {
			c, err := src.next()
			if err != nil {
				return "", err
			}
			pw[i] = c
		}
		if hasClasses(pw[:]) {
			return string(pw[:]), nil
		}
	}
}

// byteSource reads a random stream in small blocks and hands out the
// characters its accepted bytes pick.
type byteSource struct {
	r    io.Reader
	buf  [32]byte
	pos  int // next unread byte of buf
	n    int // bytes of buf filled
	read int // bytes read from r in all
}

// next returns the next password character.
func (s *byteSource) next() (byte, error) {
	for {
		if s.pos == s.n {
			if s.read >= maxRandomBytes {
				return 0, fmt.Errorf("generating a password: the random source gave no usable password in %d bytes: it is not random (use crypto/rand.Reader)", maxRandomBytes)
			}
			n, err := io.ReadFull(s.r, s.buf[:])
			if err != nil {
				return 0, fmt.Errorf("generating a password: reading the random source: %w", err)
			}
			s.pos, s.n = 0, n
			s.read += n
		}
		b := s.buf[s.pos]
		s.pos++
		if int(b) < acceptBelow {
			return passwordAlphabet[int(b)%len(passwordAlphabet)], nil
		}
	}
}

// hasClasses reports whether pw has a digit, an upper-case and a
// lower-case letter.
func hasClasses(pw []byte) bool {
	var digit, upper, lower bool
	for _, c := range pw {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		}
	}
	return digit && upper && lower
}

// DerivePassword returns the password that key and info determine: the
// same key and info always give the same password, and a different key or
// info a different, unrelated one. It is NewPassword fed with the output
// of HKDF-Expand (RFC 5869, SHA-256) of key with info, so the password has
// the same alphabet, length and classes.
//
// This is how vicionboard gives a person a generated password that
// survives a crash (kill -9 between the server's SUCCESS and the report)
// without ever storing it: key is a 32-byte random secret kept in a file
// of mode 0600 beside the ledger, and info is
//
//	"vicionboard agent_pass\x00" + server + "\x00" + person key
//
// so a rerun re-derives the very password the server was sent, and the
// ledger alone, without the key file, reveals nothing. key must be
// uniformly random (HKDF's extract step is skipped); whoever holds it can
// compute every password. Changing this function changes every derived
// password, so a test pins its output.
//
// It panics only if HKDF fails, which it cannot: a password reads at most
// 4096 bytes of HKDF-SHA256's 8160. (With GODEBUG=fips140=only, a key
// shorter than 14 bytes makes it fail.)
func DerivePassword(key []byte, info string) string {
	pw, err := NewPassword(&hkdfStream{key: key, info: info})
	if err != nil {
		panic("naming: DerivePassword: " + err.Error())
	}
	return pw
}

// hkdfStream reads the output of HKDF-Expand(SHA-256, key, info). HKDF's
// output of any length is a prefix of its longest output, so the stream
// expands a little first and more only when a password needs it (rarely).
type hkdfStream struct {
	key  []byte
	info string
	out  []byte
	pos  int
}

// hkdfFirst is how much hkdfStream expands first: enough for most
// passwords.
const hkdfFirst = 64

// Read implements io.Reader.
func (s *hkdfStream) Read(p []byte) (int, error) {
	if need := s.pos + len(p); need > len(s.out) {
		size := min(max(need, hkdfFirst, 2*len(s.out)), maxRandomBytes)
		if size <= len(s.out) {
			return 0, errors.New("the derived stream is exhausted")
		}
		out, err := hkdf.Expand(sha256.New, s.key, s.info, size)
		if err != nil {
			return 0, err
		}
		s.out = out
	}
	n := copy(p, s.out[s.pos:])
	s.pos += n
	return n, nil
}
