package batch

import (
	"context"
	"fmt"

	"github.com/vicionboard/vicionboard/vicidial"
)

// This file is the read stage's part of the agents' own phones: a row's
// extension (given, remembered for the person, or the next free one of
// the job's range) and its generated passwords, and what each server of
// the run knows of the phones of the rows read so far.

// phoneGen is what the generator did for a row's phone.
type phoneGen struct {
	extension          bool   // the extension is the one the ledger remembers, or the range's next free one
	pass, registration bool   // the passwords are generated
	problem            string // why no extension could be chosen: the row is INVALID
	full               bool   // the problem is that every extension of the range is taken
}

// dialerPhones is what a run knows of one server's phones.
type dialerPhones struct {
	serverIP string
	// seen holds the extensions ("ext:" prefix) and phone logins
	// ("login:") of this server's rows read so far.
	seen *LoginIndex
	// next is where the next search of the range starts: the extensions
	// before it were found taken.
	next int
	// probe asks the server whether a phone could be added (nil: the
	// server cannot be asked).
	probe func(ctx context.Context, req vicidial.AddPhoneRequest) error
}

// Probe placeholders: a probe is refused on its timezone, before the
// server could store anything.
const (
	probePhonePass vicidial.Secret = "probe-never-stored"
	probePhoneName                 = "vicionboard probe"
)

// readyPhones readies what the run knows of dl's phones: their server_ip,
// and the probe of extensions (its transport failures count towards the
// breaker; a fatal answer stops dl).
func (r *run) readyPhones(ctx context.Context, dl *dialer) {
	dl.phones = &dialerPhones{seen: NewLoginIndex()}
	if s := r.cfg.Phones; s != nil {
		dl.phones.serverIP = s.serverIP(dl.name)
		dl.phones.next = s.Extensions.First
	}
	if !dl.online {
		if s := r.cfg.Phones; r.dry && s != nil && !s.Extensions.IsZero() {
			r.log.Warn().Str("server", dl.name).Msg("generated extensions are not checked on the server (offline): " +
				"a run skips the extensions the server's own phones have")
		}
		return
	}
	dl.phones.probe = func(_ context.Context, req vicidial.AddPhoneRequest) error {
		if r.halted(dl) || r.runCtx.Err() != nil {
			return errNotSent
		}
		err := dl.accounts.ProbePhone(ctx, req)
		r.noteTransport(dl, err)
		if vicidial.IsFatal(err) {
			r.stopDialer(dl, err)
		}
		return err
	}
}

// phone fills in a row's phone: the extension NewExtension asks for, and
// the passwords the row does not give. It returns why the row cannot be
// sent ("" when it can): a look-up the choice needs failed.
func (g *generator) phone(ctx context.Context, row Row, dl *dialer) (Row, string) {
	f := &row.Fields
	s := g.phones
	if row.Err != nil || !phoneRequested(*f) || s == nil || dl == nil {
		return row, ""
	}
	key := g.keys.early(row)
	if isNewExtension(f.PhoneExtension) {
		switch {
		case s.Extensions.IsZero():
			row.Gen.phone.problem = NewExtension + " asks for the next free extension of the job's range, and the job's phones: give none " +
				"(extensions: 7000-7999); or give the extension itself"
		case g.placeholders:
			f.PhoneExtension, row.Gen.phone.extension = s.Extensions.format(s.Extensions.First), true
		case key == "":
			row.Gen.phone.problem = "a generated extension needs the person's key (--key, or the mapping's key:): it is how the same person keeps the same phone"
		default:
			ext, notSent := g.extension(ctx, &row, dl, key)
			if notSent != "" {
				return row, notSent
			}
			if ext != "" {
				f.PhoneExtension, row.Gen.phone.extension = ext, true
			}
		}
	}
	if s.Passwords == nil && !g.placeholders || key == "" && !g.placeholders {
		return row, "" // validation says they are required
	}
	pass, reg := "generated1", "generated2"
	if !g.placeholders {
		pass, reg = s.Passwords(dl.name, key)
	}
	if f.PhonePass == "" {
		f.PhonePass, row.Gen.phone.pass = pass, true
	}
	if f.PhoneRegistrationPassword == "" {
		f.PhoneRegistrationPassword, row.Gen.phone.registration = reg, true
	}
	return row, ""
}

// extension chooses a row's extension from the range: the one the ledger
// remembers for the person, else the first of the range that no row of
// this run took, no other person's phone in the ledger has (an extension
// is never given to a second person), and the server has no phone with
// (with its login) . It returns "" with row.Gen.phone.problem set when
// every one is taken, or why the row cannot be sent.
func (g *generator) extension(ctx context.Context, row *Row, dl *dialer, key string) (ext, notSent string) {
	phones, err := g.ledger.PhonesByKey(context.WithoutCancel(ctx), dl.name, []string{key})
	if err != nil {
		return "", "not sent: the ledger could not be read: " + err.Error()
	}
	if p, ok := phones[key]; ok {
		return p.Extension, ""
	}
	s, dp := g.phones, dl.phones
	rng := s.Extensions
	for n := max(rng.First, dp.next); n <= rng.Last; n++ {
		ext := rng.format(n)
		login := row.Fields.PhoneLogin
		if login == "" {
			login = ext
		}
		taken := dp.seen.Seen("ext:"+ext) || dp.seen.Seen("login:"+login)
		if !taken {
			holder, held, err := g.ledger.PhoneHolder(context.WithoutCancel(ctx), dl.name, dp.serverIP, ext, login)
			if err != nil {
				return "", "not sent: the ledger could not be read: " + err.Error()
			}
			taken = held && holder != key
		}
		if !taken && dp.probe != nil {
			err := dp.probe(ctx, s.request(dp.serverIP, ext, login, probePhonePass, probePhonePass, probePhoneName))
			switch reason := vicidial.ReasonOf(err); {
			case reason == vicidial.ReasonPhoneExists, reason == vicidial.ReasonPhoneLoginExists && login == ext:
				taken = true // a phone of the server, which vicionboard did not make
			case reason == "" && err != nil:
				return "", fmt.Sprintf("not sent: could not check that extension %s is free on the server: %v", ext, err)
			case reason.Fatal():
				return "", fmt.Sprintf("not sent: could not check that extension %s is free on the server: %v", ext, err)
			}
			// Any other refusal is add_phone's to answer, and the dry
			// run's to predict.
		}
		if !taken {
			return ext, ""
		}
		if row.Fields.PhoneLogin == "" && n == dp.next {
			dp.next = n + 1 // taken for every later row too
		}
	}
	row.Gen.phone.problem = fmt.Sprintf("every extension of the range %s is taken (by the phones of the server, of other persons "+
		"in the ledger, or of this file's rows): widen the job's range (phones: extensions:), or give this row an extension", rng)
	row.Gen.phone.full = true
	return "", ""
}

// notePhone records the extension and the phone login of a row's phone
// among its server's, and returns the line of an earlier row of the file
// with either (0: none). A placeholder (the planning pass chooses no
// extension) is no extension at all.
func (r *run) notePhone(dl *dialer, plan Plan, line int) int {
	if plan.Phone == nil || dl == nil || dl.phones == nil || plan.Phone.Generated && r.gen.placeholders {
		return 0
	}
	ext, login := plan.Phone.Add.Extension, plan.Phone.Add.PhoneLogin
	if first, dup := dl.phones.seen.Claim("ext:"+ext, line); dup {
		return first
	}
	if first, dup := dl.phones.seen.Claim("login:"+login, line); dup {
		return first
	}
	return 0
}
