package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/mapping"
)

// prepare applies --profile to the flags the command line left unset,
// loads --map, and settles the person key: the mapping's key: column
// stands for --key. It runs before anything else of run and check.
func (o *runOptions) prepare(cmd *cobra.Command) error {
	var inline *mapping.Mapping // the profile's own map:, unless --map names a file
	var prof *profile
	if o.profile != "" {
		p, err := loadProfile(o.profile)
		if err != nil {
			return &usageError{err}
		}
		prof = p
		onCommandLine := map[string]bool{}
		cmd.Flags().Visit(func(f *pflag.Flag) { onCommandLine[f.Name] = true })
		if err := p.apply(cmd.Flags()); err != nil {
			return &usageError{err}
		}
		if err := o.applyServers(p, func(flag string) bool { return onCommandLine[flag] }); err != nil { // dialers.go
			return err
		}
		if p.mapping != nil && !cmd.Flags().Changed("map") {
			if inline, err = mapping.ParseNode(p.mapping, p.path, batch.FieldNames()); err != nil {
				return &usageError{err}
			}
		}
	}
	if err := o.server.refuseSecrets(); err != nil {
		return err
	}
	if err := o.ledger.checkFailOn(); err != nil {
		return err
	}
	switch o.present.bom {
	case bomAuto, bomAlways, bomNever, "":
	default:
		return usagef("--bom %q: use auto, always or never", o.present.bom)
	}
	o.server.resolvePacing(cmd.Flags())
	switch {
	case inline != nil:
		o.input.mapping = inline
	case o.input.mapPath == "":
		return o.loadPhones(prof, nil) // phones.go
	default:
		m, err := mapping.Load(o.input.mapPath, batch.FieldNames())
		if err != nil {
			return &usageError{err}
		}
		o.input.mapping = m
	}
	m := o.input.mapping
	if err := o.loadPhones(prof, m); err != nil { // phones.go
		return err
	}
	switch k := m.KeyColumn(); {
	case k != "" && o.ledger.key == "":
		o.ledger.key = k
	case k != "" && !strings.EqualFold(strings.TrimSpace(k), strings.TrimSpace(o.ledger.key)):
		return usagef("--key %q and the key: %q of %s disagree: give one", o.ledger.key, k, m.File())
	}
	if m.GeneratesLogin() && o.ledger.key == "" {
		return usagef("%s generates logins: it needs key: (the column of the person's HR id), so that a person gets the same login on every run", m.File())
	}
	return nil
}

// refuseSecrets refuses, never quoting them, the server settings (from the
// command line, the environment or a profile) that look like a password
// put in the wrong place: see secretValue.
func (o *serverOptions) refuseSecrets() error {
	const fix = "set the password in VICIDIAL_API_PASS (or the variable --api-pass-env names) or in --api-pass-file"
	for _, v := range []struct{ flag, where, value string }{
		{"url", "the server URL (--url, VICIDIAL_URL)", o.url},
		{"api-user", "the API user (--api-user, VICIDIAL_API_USER)", o.apiUser},
		{"api-pass-env", "--api-pass-env", o.passEnv},
	} {
		if v.value == "" {
			continue
		}
		if msg := secretValue(v.flag, v.where, v.value, fix); msg != "" {
			return usagef("%s", msg)
		}
	}
	return nil
}

// generating returns what a run or dry run generates: passwords from
// passwords (nil: an empty agent_pass is INVALID), and logins away from
// those the planning pass found named in the input.
func (o *runOptions) generating(passwords func(string) string, p *plan) batch.Generating {
	g := batch.Generating{Password: passwords}
	if p != nil {
		g.Reserved = p.survey.Reserved
	}
	return g
}

// generatesLogins reports whether the mapping generates logins (the
// planning pass then collects the logins the input names).
func (o *runOptions) generatesLogins() bool {
	return o.input.mapping != nil && o.input.mapping.GeneratesLogin()
}

// placeholderPassword stands for generated passwords in a dry run
// without a ledger, which never shows one.
func placeholderPassword(string) string { return "generated-by-the-run" }
