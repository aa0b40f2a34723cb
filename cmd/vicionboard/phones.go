package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/batch/mapping"
)

// The settings of the agents' own phones: a profile's or a mapping's
// phones:, checked against add_phone's rules before anything is read, and
// given to the pipeline with the passwords the ledger derives.

// phonesHelp describes phones:, for run --help.
const phonesHelp = `phones: (in the profile, or in the mapping) holds what the agents' own phones share, for rows that ask
for one with phone_extension (an extension, or new for the next free one of the range):

  phones:
    server_ip: 10.10.10.15          # required; with servers:, one each: {leeds: 10.1.0.5, york: 10.2.0.5}
    extensions: 7000-7999           # where new takes the next free extension from
    protocol: SIP                   # SIP (default), IAX2, Zap or EXTERNAL
    local_gmt: -5                   # default -5.00
    outbound_cid: 3125550100        # default 0000000000
    phone_context: default          # and, optionally, template_id, admin_user_group, is_webphone,
                                    # webphone_auto_answer, use_external_server_ip, on_hook_agent`

// phoneKeys are the keys of phones:, besides server_ip and extensions: the
// add_phone parameters of the same names.
var phoneKeys = []string{"protocol", "local_gmt", "outbound_cid", "phone_context", "template_id", "admin_user_group",
	"is_webphone", "webphone_auto_answer", "use_external_server_ip", "on_hook_agent"}

// phoneError is a problem of a phones: section, at its line.
func phoneError(file string, line int, format string, args ...any) error {
	return &profileError{file: file, line: line, msg: "phones: " + fmt.Sprintf(format, args...)}
}

// loadPhones reads the job's phones: from the profile p (nil: none) or the
// mapping m (nil: none): one of them, not both.
func (o *runOptions) loadPhones(p *profile, m *mapping.Mapping) error {
	var node *yaml.Node
	file := ""
	if p != nil && p.phones != nil {
		node, file = p.phones, p.path
	}
	if m != nil && m.Phones() != nil {
		if node != nil {
			return usagef("%s:%d: phones: is set in the profile and in the mapping %s (line %d): give it once", file, node.Line, m.File(), m.Phones().Line)
		}
		node, file = m.Phones(), m.File()
	}
	if node == nil {
		return nil
	}
	s, err := parsePhones(node, file, o.serverNames())
	if err != nil {
		return &usageError{err}
	}
	o.phones = s
	return nil
}

// parsePhones reads a phones: section (its node in file) for a job whose
// servers are servers (none for a job with one), and checks it: every
// problem at once, each at its line.
func parsePhones(node *yaml.Node, file string, servers []string) (*batch.PhoneSettings, error) {
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, phoneError(file, line, format, args...))
	}
	if node.Kind != yaml.MappingNode {
		return nil, phoneError(file, node.Line, "a mapping of the phones' settings, e.g. phones: {server_ip: 10.10.10.15, extensions: 7000-7999}")
	}
	s := &batch.PhoneSettings{}
	lines := map[string]int{}
	keys := append([]string{"server_ip", "extensions"}, phoneKeys...)
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		key := strings.ToLower(strings.TrimSpace(k.Value))
		lines[key] = v.Line
		switch {
		case isPasswordKey(key) || strings.Contains(key, "pass"):
			fail(k.Line, "%s: a phone's passwords never go in a profile or mapping: they are generated, or given in the rows (phone_pass, phone_registration_password)", key)
			continue
		case !slices.Contains(keys, key):
			fail(k.Line, "%s", notAKey(fmt.Sprintf("%q is not a phone setting", key), key, keys, "see vicionboard run --help"))
			continue
		case key == "server_ip" && v.Kind == yaml.MappingNode:
			s.ServerIPs = serverIPs(v, servers, func(line int, format string, args ...any) { fail(line, "server_ip: "+format, args...) })
			continue
		}
		value, ok := profileValue(v)
		if !ok {
			fail(v.Line, "%s: write one value", key)
			continue
		}
		switch key {
		case "server_ip":
			s.ServerIP = value
		case "extensions":
			r, err := batch.ParseExtensionRange(value)
			if err != nil {
				fail(v.Line, "extensions: %v", err)
			}
			s.Extensions = r
		default:
			setPhoneKey(s, key, yesNo(key, v, value))
		}
	}
	if s.ServerIP == "" && s.ServerIPs != nil {
		for _, name := range servers {
			if s.ServerIPs[strings.ToLower(name)] == "" {
				fail(lines["server_ip"], "server_ip: server %s has none: give each of the job's servers its server_ip", name)
			}
		}
	}
	for _, p := range s.Problems() {
		line := lines[p.Field]
		if line == 0 {
			line = node.Line
		}
		fail(line, "%s: %s", p.Field, p.Message)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// serverIPs reads server_ip: {server: ip, ...}: one for each of the job's
// servers, and no other.
func serverIPs(v *yaml.Node, servers []string, fail func(line int, format string, args ...any)) map[string]string {
	out := map[string]string{}
	if len(servers) == 0 {
		fail(v.Line, "a job with one server has one server_ip: write server_ip: 10.10.10.15")
		return out
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, ip := v.Content[i], v.Content[i+1]
		name := strings.TrimSpace(k.Value)
		if !slices.ContainsFunc(servers, func(s string) bool { return strings.EqualFold(s, name) }) {
			fail(k.Line, "%q is not one of the job's servers (%s)", name, strings.Join(servers, ", "))
			continue
		}
		value, ok := profileValue(ip)
		if !ok || value == "" {
			fail(ip.Line, "%s: write its server_ip", name)
			continue
		}
		out[strings.ToLower(name)] = value
	}
	return out
}

// yesNo reads a Y/N flag written as a YAML boolean (true, false) as Y or
// N; any other value is kept for the rules to check.
func yesNo(key string, n *yaml.Node, value string) string {
	if n.Tag == "!!bool" && key != "local_gmt" {
		if strings.EqualFold(value, "true") {
			return "Y"
		}
		return "N"
	}
	return value
}

// setPhoneKey sets the setting key of s.
func setPhoneKey(s *batch.PhoneSettings, key, value string) {
	*map[string]*string{"protocol": &s.Protocol, "local_gmt": &s.LocalGMT, "outbound_cid": &s.OutboundCID,
		"phone_context": &s.PhoneContext, "template_id": &s.TemplateID, "admin_user_group": &s.AdminUserGroup,
		"is_webphone": &s.IsWebphone, "webphone_auto_answer": &s.WebphoneAutoAnswer,
		"use_external_server_ip": &s.UseExternalServerIP, "on_hook_agent": &s.OnHookAgent}[key] = value
}

// phoneSettings gives cfg the job's phone settings, with the passwords the
// ledger derives (db nil: a dry run without a ledger, which shows none).
func (o *runOptions) phoneSettings(cfg *batch.Config, db *ledger.DB) error {
	if o.phones == nil {
		return nil
	}
	s := *o.phones
	s.Passwords = func(string, string) (string, string) { return "generated-by-the-run", "generated-by-the-run" }
	if db != nil {
		pw, err := db.PhonePasswords()
		if err != nil {
			return &stateError{err: err, hint: "the ledger's key file (" + db.KeyFile() + ") is backed up with it; restore both"}
		}
		s.Passwords = pw
	}
	cfg.Phones = &s
	return nil
}
