package vicidialtest

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// PhonesPath serves the simulator's phones as CSV.
const PhonesPath = "/_simulator/phones"

// Phone is one row of VICIdial's phones table. A phone is identified by
// (Extension, ServerIP), compared without case; Login is what an agent
// (and an account's phone_login) names it by.
type Phone struct {
	Extension           string `json:"extension"`
	ServerIP            string `json:"server_ip"`
	Login               string `json:"login"`
	Pass                string `json:"pass,omitempty"`
	ConfSecret          string `json:"conf_secret,omitempty"` // the registration password
	DialplanNumber      string `json:"dialplan_number,omitempty"`
	VoicemailID         string `json:"voicemail_id,omitempty"`
	Protocol            string `json:"protocol,omitempty"`
	FullName            string `json:"fullname,omitempty"`
	LocalGMT            string `json:"local_gmt,omitempty"`
	OutboundCID         string `json:"outbound_cid,omitempty"`
	OutboundAltCID      string `json:"outbound_alt_cid,omitempty"`
	PhoneContext        string `json:"phone_context,omitempty"`
	Email               string `json:"email,omitempty"`
	UserGroup           string `json:"user_group,omitempty"`
	Active              string `json:"active,omitempty"` // Y or N
	Status              string `json:"status,omitempty"` // ACTIVE; active=N leaves it
	IsWebphone          string `json:"is_webphone,omitempty"`
	WebphoneAutoAnswer  string `json:"webphone_auto_answer,omitempty"`
	UseExternalServerIP string `json:"use_external_server_ip,omitempty"`
	OnHookAgent         string `json:"on_hook_agent,omitempty"`
	TemplateID          string `json:"template_id,omitempty"`
	PhoneRingTimeout    string `json:"phone_ring_timeout,omitempty"`
	DeleteVMAfterEmail  string `json:"delete_vm_after_email,omitempty"`
	// InstallDirectory is emptied by every successful update_phone.
	InstallDirectory string `json:"install_directory,omitempty"`
}

// UnmarshalJSON reads a phone, or a string: the login of a phone whose
// extension is the login, on the fixture's first server (the form of
// fixtures written before phones had servers).
func (p *Phone) UnmarshalJSON(b []byte) error {
	var login string
	if err := json.Unmarshal(b, &login); err == nil {
		*p = Phone{Extension: login, Login: login}
		return nil
	}
	type plain Phone
	return json.Unmarshal(b, (*plain)(p))
}

// The defaults of the phones table, for the columns a fixture or add_phone
// leaves empty.
const (
	defaultInstallDirectory = "/usr/local/perl_TK"
	allGroups               = "---ALL---"
)

// withDefaults fills the columns that have a non-empty default in the
// phones table.
func (p Phone) withDefaults() Phone {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&p.DialplanNumber, p.Extension)
	def(&p.VoicemailID, p.Extension)
	def(&p.Protocol, "SIP")
	def(&p.ConfSecret, "test")
	def(&p.LocalGMT, "-5.00")
	def(&p.PhoneContext, "default")
	def(&p.UserGroup, allGroups)
	def(&p.Active, "Y")
	def(&p.Status, "ACTIVE")
	def(&p.IsWebphone, "N")
	def(&p.WebphoneAutoAnswer, "Y")
	def(&p.UseExternalServerIP, "N")
	def(&p.OnHookAgent, "N")
	def(&p.PhoneRingTimeout, "60")
	def(&p.DeleteVMAfterEmail, "N")
	def(&p.InstallDirectory, defaultInstallDirectory)
	return p
}

// PhoneServer is one row of VICIdial's servers table, as far as phones need it.
type PhoneServer struct {
	ServerIP string `json:"server_ip"`
	ServerID string `json:"server_id,omitempty"`
	// GenerateConf is generate_vicidial_conf: Y (the default) when the
	// server writes its Asterisk configuration from the phones table.
	GenerateConf string `json:"generate_vicidial_conf,omitempty"`
	// RebuildConfFiles is set to Y by add_phone and update_phone when the
	// server generates its configuration.
	RebuildConfFiles string `json:"rebuild_conf_files,omitempty"`
}

// PhoneAlias is one row of phones_alias: a login standing for several
// phones.
type PhoneAlias struct {
	AliasID   string   `json:"alias_id"`
	AliasName string   `json:"alias_name,omitempty"`
	Logins    []string `json:"logins,omitempty"` // logins_list
	UserGroup string   `json:"user_group,omitempty"`
}

// UnmarshalJSON reads an alias, or a string: its alias_id.
func (a *PhoneAlias) UnmarshalJSON(b []byte) error {
	var id string
	if err := json.Unmarshal(b, &id); err == nil {
		*a = PhoneAlias{AliasID: id}
		return nil
	}
	type plain PhoneAlias
	return json.Unmarshal(b, (*plain)(a))
}

func (a PhoneAlias) clone() PhoneAlias {
	a.Logins = slices.Clone(a.Logins)
	return a
}

// AdminLogEntry is one row the phone functions write to the admin log.
type AdminLogEntry struct {
	User     string // the API user
	Section  string // PHONES or PHONEALIASES
	Event    string // ADD, MODIFY or DELETE
	RecordID string // the extension, or the alias_id
	ServerIP string // the phone's server (phones only)
}

// DefaultPhoneServers are the servers of a fixture that names none.
func DefaultPhoneServers() []PhoneServer {
	return []PhoneServer{{ServerIP: "10.10.10.15", ServerID: "dialer1"}, {ServerIP: "10.10.10.16", ServerID: "dialer2"}}
}

// phoneBook is the simulator's phones, servers, aliases and admin log.
type phoneBook struct {
	phones    map[string]*Phone // by phoneKey
	servers   []*PhoneServer
	aliases   map[string]*PhoneAlias // by lower-case alias_id
	templates []string
	viewable  map[string][]string // admin_viewable_groups per user group
	adminLog  []AdminLogEntry
}

func phoneKey(extension, serverIP string) string {
	return strings.ToLower(extension) + "\x00" + strings.ToLower(serverIP)
}

// newPhoneBook loads the phone part of a fixture.
func newPhoneBook(fx Fixture) (phoneBook, error) {
	b := phoneBook{phones: map[string]*Phone{}, aliases: map[string]*PhoneAlias{},
		templates: slices.Clone(fx.PhoneTemplates), viewable: map[string][]string{}}
	servers := fx.Servers
	if servers == nil {
		servers = DefaultPhoneServers()
	}
	for _, sv := range servers {
		sv := sv
		if sv.GenerateConf == "" {
			sv.GenerateConf = "Y"
		}
		if sv.RebuildConfFiles == "" {
			sv.RebuildConfFiles = "N"
		}
		b.servers = append(b.servers, &sv)
	}
	for _, p := range fx.Phones {
		if p.ServerIP == "" && len(b.servers) > 0 {
			p.ServerIP = b.servers[0].ServerIP
		}
		if p.Login == "" {
			p.Login = p.Extension
		}
		p = p.withDefaults()
		key := phoneKey(p.Extension, p.ServerIP)
		if _, dup := b.phones[key]; dup {
			return phoneBook{}, fmt.Errorf("fixture: phone %s on %s twice", p.Extension, p.ServerIP)
		}
		b.phones[key] = &p
	}
	for _, a := range fx.PhoneAliases {
		a := a.clone()
		if a.UserGroup == "" {
			a.UserGroup = allGroups
		}
		b.aliases[strings.ToLower(a.AliasID)] = &a
	}
	for g, v := range fx.AdminViewableGroups {
		b.viewable[g] = slices.Clone(v)
	}
	return b, nil
}

// snapshot returns deep copies of the phone state, sorted.
func (b *phoneBook) snapshot() (phones []Phone, servers []PhoneServer, aliases []PhoneAlias, log []AdminLogEntry) {
	for _, p := range b.phones {
		phones = append(phones, *p)
	}
	sort.Slice(phones, func(i, j int) bool {
		if phones[i].ServerIP != phones[j].ServerIP {
			return phones[i].ServerIP < phones[j].ServerIP
		}
		return phones[i].Extension < phones[j].Extension
	})
	for _, sv := range b.servers {
		servers = append(servers, *sv)
	}
	for _, a := range b.aliases {
		aliases = append(aliases, a.clone())
	}
	sort.Slice(aliases, func(i, j int) bool { return aliases[i].AliasID < aliases[j].AliasID })
	return phones, servers, aliases, slices.Clone(b.adminLog)
}

// Phone returns the phone (extension, serverIP), compared without case.
func (s *Simulator) Phone(extension, serverIP string) (Phone, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.book.phones[phoneKey(extension, serverIP)]
	if !ok {
		return Phone{}, false
	}
	return *p, true
}

// Phones returns every phone, sorted by server and extension.
func (s *Simulator) Phones() []Phone {
	s.mu.Lock()
	defer s.mu.Unlock()
	phones, _, _, _ := s.book.snapshot()
	return phones
}

// PhoneAliases returns every phone alias, sorted by alias_id.
func (s *Simulator) PhoneAliases() []PhoneAlias {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, aliases, _ := s.book.snapshot()
	return aliases
}

// Servers returns the servers, with their rebuild flags.
func (s *Simulator) Servers() []PhoneServer {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, servers, _, _ := s.book.snapshot()
	return servers
}

// AdminLog returns the admin-log rows the phone functions wrote, in order.
func (s *Simulator) AdminLog() []AdminLogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.book.adminLog)
}

// PhonesCSVHeader is the header of WritePhonesCSV.
var PhonesCSVHeader = []string{"extension", "server_ip", "login", "fullname", "dialplan_number", "voicemail_id",
	"protocol", "local_gmt", "outbound_cid", "outbound_alt_cid", "phone_context", "email", "user_group", "active",
	"status", "is_webphone", "webphone_auto_answer", "use_external_server_ip", "on_hook_agent", "template_id",
	"phone_ring_timeout", "delete_vm_after_email", "install_directory"}

// WritePhonesCSV writes the phones as CSV (PhonesCSVHeader), without their
// passwords.
func (s *Simulator) WritePhonesCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(PhonesCSVHeader)
	for _, p := range s.Phones() {
		_ = cw.Write([]string{p.Extension, p.ServerIP, p.Login, p.FullName, p.DialplanNumber, p.VoicemailID,
			p.Protocol, p.LocalGMT, p.OutboundCID, p.OutboundAltCID, p.PhoneContext, p.Email, p.UserGroup, p.Active,
			p.Status, p.IsWebphone, p.WebphoneAutoAnswer, p.UseExternalServerIP, p.OnHookAgent, p.TemplateID,
			p.PhoneRingTimeout, p.DeleteVMAfterEmail, p.InstallDirectory})
	}
	cw.Flush()
	return cw.Error()
}

// The filters of the phone functions' fields.
var (
	nonDialplan  = regexp.MustCompile(`[^*#0-9a-zA-Z]`)
	nonServerIP  = regexp.MustCompile(`[^-.:_0-9a-zA-Z]`)
	nonGMT       = regexp.MustCompile(`[^-.0-9]`)
	nonLogins    = regexp.MustCompile(`[^-,_0-9a-zA-Z]`)
	nonPhoneName = regexp.MustCompile(`[^- +._0-9a-zA-Z]`)
	nonEmail     = regexp.MustCompile(`[^- '+.:/@%_0-9a-zA-Z]`)
	nonLetter    = regexp.MustCompile(`[^a-zA-Z]`)
)

func filterDialplan(s string) string  { return nonDialplan.ReplaceAllString(s, "") }
func filterServerIP(s string) string  { return nonServerIP.ReplaceAllString(s, "") }
func filterGMT(s string) string       { return nonGMT.ReplaceAllString(s, "") }
func filterLogins(s string) string    { return nonLogins.ReplaceAllString(s, "") }
func filterPhoneName(s string) string { return nonPhoneName.ReplaceAllString(s, "") }
func filterLetters(s string) string   { return nonLetter.ReplaceAllString(s, "") }
func filterPhoneEmail(s string) string {
	return strings.ReplaceAll(nonEmail.ReplaceAllString(s, ""), "+", " ")
}

// The lengths at which the database cuts a phone's or an alias's values.
const (
	cutExtension = 100
	cutDialplan  = 20
	cutVoicemail = 10
	cutLogin     = 15
	cutFullName  = 50
	cutCID       = 20
	cutContext   = 20
	cutEmail     = 100
	cutAliasID   = 20
)

var protocols = []string{"SIP", "IAX2", "Zap", "EXTERNAL"}

// timezones are the local_gmt values the server accepts, compared
// numerically.
var timezones = []float64{12.75, 12, 11, 10, 9.5, 9, 8, 7, 6.5, 6, 5.75, 5.5, 5, 4.5, 4, 3.5, 3, 2, 1, 0,
	-1, -2, -3, -3.5, -4, -5, -6, -7, -8, -9, -10, -11, -12}

func validTimezone(v string) bool {
	f, err := strconv.ParseFloat(v, 64)
	return err == nil && slices.Contains(timezones, f)
}

// mayPhone reports whether api has the phone right: active, level 8 or
// more, API access and "Admin Access" (ast_admin_access). modify_phones
// is never read.
func mayPhone(api *Account) bool {
	return api.Active == "Y" && api.Level >= 8 && api.APIAccess && api.AstAdminAccess
}

func (b *phoneBook) server(ip string) *PhoneServer {
	for _, sv := range b.servers {
		if strings.EqualFold(sv.ServerIP, ip) {
			return sv
		}
	}
	return nil
}

// loginCount counts the phones with login (compared without case) that
// keepPhone accepts (nil: every phone).
func (b *phoneBook) loginCount(login string, keepPhone func(*Phone) bool) int {
	n := 0
	for _, p := range b.phones {
		if strings.EqualFold(p.Login, login) && (keepPhone == nil || keepPhone(p)) {
			n++
		}
	}
	return n
}

func (b *phoneBook) templateExists(id string) bool {
	return slices.ContainsFunc(b.templates, func(t string) bool { return strings.EqualFold(t, id) })
}

// mayView reports whether api's user group may see a phone of group: every
// group when its admin_viewable_groups are not restricted (or hold
// ---ALL---), and a phone of ---ALL--- always.
func (b *phoneBook) mayView(api *Account, group string) bool {
	viewable, restricted := b.viewable[api.Group]
	if !restricted || slices.Contains(viewable, allGroups) || group == allGroups {
		return true
	}
	return slices.ContainsFunc(viewable, func(g string) bool { return strings.EqualFold(g, group) })
}

// changed records a phone function's side effects: the server's rebuild
// flag (when it generates its configuration) and an admin-log row.
func (b *phoneBook) changed(api *Account, section, event, id string, sv *PhoneServer) {
	entry := AdminLogEntry{User: api.User, Section: section, Event: event, RecordID: id}
	if sv != nil {
		entry.ServerIP = sv.ServerIP
		if sv.GenerateConf == "Y" {
			sv.RebuildConfFiles = "Y"
		}
	}
	b.adminLog = append(b.adminLog, entry)
}

// yesNo reads one of the Y/N flags: any case, else ignored ("").
func yesNo(v string, also ...string) string {
	u := strings.ToUpper(filterID(v))
	if u == "Y" || u == "N" || slices.Contains(also, u) {
		return u
	}
	return ""
}

// phoneFlags are the optional flags add_phone and update_phone share.
var phoneFlags = []struct {
	param string
	also  []string
	field func(*Phone) *string
}{
	{"is_webphone", []string{"Y_API_LAUNCH"}, func(p *Phone) *string { return &p.IsWebphone }},
	{"webphone_auto_answer", nil, func(p *Phone) *string { return &p.WebphoneAutoAnswer }},
	{"use_external_server_ip", nil, func(p *Phone) *string { return &p.UseExternalServerIP }},
	{"on_hook_agent", nil, func(p *Phone) *string { return &p.OnHookAgent }},
}

// setFlags writes the given flags onto ph.
func setFlags(ph *Phone, p url.Values) {
	for _, f := range phoneFlags {
		if v := yesNo(p.Get(f.param), f.also...); v != "" {
			*f.field(ph) = v
		}
	}
}

// template reads template_id: "" for none or --BLANK--.
func template(p url.Values) string {
	t := filterID(p.Get("template_id"))
	if t == blank {
		return ""
	}
	return t
}

func (s *Simulator) addPhone(api *Account, p url.Values) answer {
	if !mayPhone(api) {
		return ok("ERROR: add_phone USER DOES NOT HAVE PERMISSION TO ADD PHONES: |%s|0", api.User)
	}
	ext, dialplan, vm := filterID(p.Get("extension")), filterDialplan(p.Get("dialplan_number")), filterAlnum(p.Get("voicemail_id"))
	login, pass, serverIP := filterID(p.Get("phone_login")), filterID(p.Get("phone_pass")), filterServerIP(p.Get("server_ip"))
	protocol, regPass, name := filterAlnum(p.Get("protocol")), filterID(p.Get("registration_password")), filterPhoneName(p.Get("phone_full_name"))
	gmt, cid := filterGMT(p.Get("local_gmt")), filterNum(p.Get("outbound_cid"))
	if len(ext) < 2 || len(dialplan) < 2 || vm == "" || login == "" || pass == "" || serverIP == "" ||
		!slices.Contains(protocols, protocol) || regPass == "" || name == "" || gmt == "" || cid == "" {
		return ok("ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS: |%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s",
			api.User, ext, dialplan, vm, login, pass, serverIP, protocol, regPass, name, gmt, cid)
	}
	b := &s.book
	sv := b.server(serverIP)
	if sv == nil {
		return ok("ERROR: add_phone SERVER DOES NOT EXIST: |%s|%s", api.User, serverIP)
	}
	if _, taken := b.phones[phoneKey(ext, serverIP)]; taken {
		return ok("ERROR: add_phone PHONE ALREADY EXISTS ON THIS SERVER: |%s|%s|%s", api.User, serverIP, ext)
	}
	if b.loginCount(login, nil) > 0 {
		return ok("ERROR: add_phone PHONE LOGIN ALREADY EXISTS: |%s|%s", api.User, login)
	}
	if !validTimezone(gmt) {
		return ok("ERROR: add_phone YOU MUST USE A VALID TIMEZONE: |%s|%s", api.User, gmt)
	}
	tmpl := template(p)
	if tmpl != "" && !b.templateExists(tmpl) {
		return ok("ERROR: add_phone TEMPLATE ID DOES NOT EXIST, THIS IS AN OPTIONAL FIELD: |%s|%s|%s", api.User, login, tmpl)
	}
	// The insert: an apostrophe in the email breaks its SQL, and the cut
	// extension may hit the unique key (extension, server_ip).
	email := filterPhoneEmail(p.Get("email"))
	key := phoneKey(cut(ext, cutExtension), serverIP)
	if _, dup := b.phones[key]; dup || strings.Contains(email, "'") {
		return answer{status: http.StatusInternalServerError}
	}
	ph := Phone{Extension: cut(ext, cutExtension), ServerIP: serverIP, Login: cut(login, cutLogin), Pass: pass,
		ConfSecret: regPass, DialplanNumber: cut(dialplan, cutDialplan), VoicemailID: cut(vm, cutVoicemail),
		Protocol: protocol, FullName: cut(name, cutFullName), LocalGMT: gmt, OutboundCID: cut(cid, cutCID),
		PhoneContext: cut(filterID(p.Get("phone_context")), cutContext), Email: cut(email, cutEmail),
		UserGroup: filterID(p.Get("admin_user_group")), Active: "Y", Status: "ACTIVE", TemplateID: tmpl}
	setFlags(&ph, p)
	ph = ph.withDefaults()
	b.phones[key] = &ph
	b.changed(api, "PHONES", "ADD", ph.Extension, sv)
	return ok("SUCCESS: add_phone PHONE HAS BEEN ADDED - %s|%s|%s|%s|%s", api.User, ext, serverIP, protocol, dialplan)
}

// phoneField is one row of the contract's update_phone field list.
type phoneField struct {
	param  string
	filter func(string) string
	blank  bool // --BLANK-- (after filtering) empties the field
	// check returns the VALUE of the error line and false when v is not
	// valid; nil accepts everything.
	check  func(s *Simulator, target *Phone, p url.Values, v string) (string, bool)
	reason string // the REASON of the error line
	apply  func(ph *Phone, v string)
}

// length accepts a value of lo to hi bytes; the error's VALUE is the value.
func length(lo, hi int) func(*Simulator, *Phone, url.Values, string) (string, bool) {
	return func(_ *Simulator, _ *Phone, _ url.Values, v string) (string, bool) {
		return v, len(v) >= lo && len(v) <= hi
	}
}

// oneOf accepts exactly one of values.
func oneOf(values ...string) func(*Simulator, *Phone, url.Values, string) (string, bool) {
	return func(_ *Simulator, _ *Phone, _ url.Values, v string) (string, bool) {
		return v, slices.Contains(values, v)
	}
}

const optional = ", THIS IS AN OPTIONAL FIELD"

// updatePhoneFields are update_phone's fields, in the order the server
// validates them.
var updatePhoneFields = []phoneField{
	{param: "local_gmt", filter: filterGMT,
		check:  func(_ *Simulator, _ *Phone, _ url.Values, v string) (string, bool) { return v, validTimezone(v) },
		reason: "YOU MUST USE A VALID TIMEZONE", apply: func(ph *Phone, v string) { ph.LocalGMT = v }},
	{param: "email", filter: filterPhoneEmail, blank: true, check: length(5, 300),
		reason: "YOU MUST USE A VALID EMAIL", apply: func(ph *Phone, v string) { ph.Email = cut(v, cutEmail) }},
	{param: "phone_context", filter: filterID, blank: true, check: length(2, 30),
		reason: "YOU MUST USE A VALID PHONE CONTEXT", apply: func(ph *Phone, v string) { ph.PhoneContext = cut(v, cutContext) }},
	{param: "phone_full_name", filter: filterPhoneName, blank: true, check: length(2, 30),
		reason: "YOU MUST USE A VALID PHONE NAME", apply: func(ph *Phone, v string) { ph.FullName = cut(v, cutFullName) }},
	{param: "registration_password", filter: filterID, blank: true, check: length(2, 30),
		reason: "YOU MUST USE A VALID REGISTRATION PASSWORD", apply: func(ph *Phone, v string) { ph.ConfSecret = v }},
	{param: "protocol", filter: filterAlnum, check: oneOf(protocols...),
		reason: "YOU MUST USE A VALID PROTOCOL", apply: func(ph *Phone, v string) { ph.Protocol = v }},
	{param: "phone_pass", filter: filterID, check: length(2, 30),
		reason: "YOU MUST USE A VALID PHONE PASSWORD", apply: func(ph *Phone, v string) { ph.Pass = v }},
	{param: "phone_login", filter: filterID, check: checkUpdateLogin,
		reason: "LOGIN ALREADY EXISTS", apply: func(ph *Phone, v string) { ph.Login = cut(v, cutLogin) }},
	{param: "voicemail_id", filter: filterAlnum, check: length(2, 30),
		reason: "YOU MUST USE A VALID VOICEMAIL NUMBER", apply: func(ph *Phone, v string) { ph.VoicemailID = cut(v, cutVoicemail) }},
	{param: "dialplan_number", filter: filterDialplan, check: length(3, 30),
		reason: "YOU MUST USE A VALID DIALPLAN NUMBER", apply: func(ph *Phone, v string) { ph.DialplanNumber = cut(v, cutDialplan) }},
	{param: "active", filter: filterUpper, check: oneOf("Y", "N"),
		reason: "ACTIVE MUST BE Y OR N" + optional, apply: func(ph *Phone, v string) { ph.Active = v }},
	{param: "outbound_cid", filter: filterNum, check: length(6, 18),
		reason: "OUTBOUND CID MUST BE FROM 6 TO 18 DIGITS" + optional, apply: func(ph *Phone, v string) { ph.OutboundCID = cut(v, cutCID) }},
	{param: "admin_user_group", filter: filterID, check: length(2, 20),
		reason: "USER GROUP MUST BE FROM 2 TO 20 CHARACTERS" + optional, apply: func(ph *Phone, v string) { ph.UserGroup = v }},
	{param: "outbound_alt_cid", filter: filterAlnum, check: length(6, 18),
		reason: "OUTBOUND ALT CID MUST BE FROM 6 TO 18 DIGITS" + optional, apply: func(ph *Phone, v string) { ph.OutboundAltCID = v }},
	{param: "phone_ring_timeout", filter: filterNum, check: checkRingTimeout,
		reason: "PHONE RING TIMEOUT MUST BE FROM 2 TO 180 SECONDS" + optional, apply: func(ph *Phone, v string) { ph.PhoneRingTimeout = v }},
	{param: "delete_vm_after_email", filter: filterLetters, check: oneOf("Y", "N"),
		reason: "DELETE VOICEMAIL AFTER EMAIL MUST BE Y OR N" + optional, apply: func(ph *Phone, v string) { ph.DeleteVMAfterEmail = v }},
	{param: "template_id", filter: filterID, blank: true, check: checkTemplate,
		reason: "TEMPLATE ID DOES NOT EXIST" + optional, apply: func(ph *Phone, v string) { ph.TemplateID = v }},
}

// checkUpdateLogin: the login is refused only when a phone on another
// extension and another server has it; the same server's phones are not
// seen.
func checkUpdateLogin(s *Simulator, target *Phone, _ url.Values, v string) (string, bool) {
	others := s.book.loginCount(v, func(p *Phone) bool {
		return !strings.EqualFold(p.Extension, target.Extension) && !strings.EqualFold(p.ServerIP, target.ServerIP)
	})
	return v, others == 0
}

// checkRingTimeout: 2 to 180 seconds. The error's VALUE is, as on the
// real server, outbound_alt_cid.
func checkRingTimeout(_ *Simulator, _ *Phone, p url.Values, v string) (string, bool) {
	n, err := strconv.Atoi(v)
	return filterAlnum(p.Get("outbound_alt_cid")), err == nil && n >= 2 && n <= 180
}

// checkTemplate: an existing template. VALUE: LOGIN|TEMPLATE, the login
// being the request's phone_login.
func checkTemplate(s *Simulator, _ *Phone, p url.Values, v string) (string, bool) {
	return filterID(p.Get("phone_login")) + "|" + v, s.book.templateExists(v)
}

func (s *Simulator) updatePhone(api *Account, p url.Values) answer {
	if !mayPhone(api) {
		return ok("ERROR: update_phone USER DOES NOT HAVE PERMISSION TO UPDATE PHONES: |%s|0", api.User)
	}
	ext, serverIP := filterID(p.Get("extension")), filterServerIP(p.Get("server_ip"))
	if len(ext) < 2 || serverIP == "" {
		return ok("ERROR: update_phone YOU MUST USE ALL REQUIRED FIELDS: |%s|%s|%s", api.User, ext, serverIP)
	}
	b := &s.book
	sv := b.server(serverIP)
	if sv == nil {
		return ok("ERROR: update_phone SERVER DOES NOT EXIST: |%s|%s", api.User, serverIP)
	}
	key := phoneKey(ext, serverIP)
	target, found := b.phones[key]
	if !found || !b.mayView(api, target.UserGroup) {
		return ok("ERROR: update_phone PHONE DOES NOT EXIST ON THIS SERVER: |%s|%s|%s", api.User, serverIP, ext)
	}
	if filterUpper(p.Get("delete_phone")) == "Y" {
		if !api.AstDeletePhones {
			return ok("NOTICE: update_phone USER DOES NOT HAVE PERMISSION TO DELETE PHONES: |%s|0", api.User)
		}
		delete(b.phones, key)
		b.changed(api, "PHONES", "DELETE", target.Extension, sv)
		return ok("SUCCESS: update_phone PHONE HAS BEEN DELETED - %s|%s|%s|", api.User, ext, serverIP)
	}
	updated := *target
	emailApostrophe := false
	for _, f := range updatePhoneFields {
		v := f.filter(p.Get(f.param))
		if v == "" {
			continue // not given, or filtered to nothing
		}
		if f.blank && v == blank {
			f.apply(&updated, "")
			continue
		}
		if data, valid := f.check(s, target, p, v); !valid {
			return ok("ERROR: update_phone %s: |%s|%s", f.reason, api.User, data)
		}
		if f.param == "email" && strings.Contains(v, "'") {
			emailApostrophe = true
		}
		f.apply(&updated, v)
	}
	setFlags(&updated, p) // never refused: a value other than Y or N is ignored
	// The single UPDATE: an apostrophe in the email breaks its SQL.
	if emailApostrophe {
		return answer{status: http.StatusInternalServerError}
	}
	updated.InstallDirectory = ""
	*target = updated
	b.changed(api, "PHONES", "MODIFY", target.Extension, sv)
	return ok("SUCCESS: update_phone PHONE HAS BEEN UPDATED - %s|%s|%s|", api.User, ext, serverIP)
}

// phoneLogins splits a filtered phone_logins list; every element must be
// an existing phone's login (active or not): the first that is not is
// returned, with false.
func (b *phoneBook) phoneLogins(list string) ([]string, string, bool) {
	logins := strings.Split(list, ",")
	for _, l := range logins {
		if l == "" || b.loginCount(l, nil) == 0 {
			return nil, l, false
		}
	}
	return logins, "", true
}

func (s *Simulator) addPhoneAlias(api *Account, p url.Values) answer {
	if !mayPhone(api) {
		return ok("ERROR: add_phone_alias USER DOES NOT HAVE PERMISSION TO ADD PHONE ALIASES: |%s|0", api.User)
	}
	id, name, list := filterID(p.Get("alias_id")), filterText(p.Get("alias_name")), filterLogins(p.Get("phone_logins"))
	if len(id) < 2 || len(list) < 2 || name == "" {
		return ok("ERROR: add_phone_alias YOU MUST USE ALL REQUIRED FIELDS: |%s|%s|%s|%s", api.User, id, name, list)
	}
	b := &s.book
	if _, taken := b.aliases[strings.ToLower(id)]; taken {
		return ok("ERROR: add_phone_alias PHONE ALIAS ALREADY EXISTS: |%s|%s", api.User, id)
	}
	logins, missing, found := b.phoneLogins(list)
	if !found {
		return ok("ERROR: add_phone_alias PHONE DOES NOT EXIST: |%s|%s", api.User, missing)
	}
	key := strings.ToLower(cut(id, cutAliasID))
	if _, dup := b.aliases[key]; dup {
		return answer{status: http.StatusInternalServerError} // the cut alias_id hits the primary key
	}
	b.aliases[key] = &PhoneAlias{AliasID: cut(id, cutAliasID), AliasName: name, Logins: logins, UserGroup: allGroups}
	b.changed(api, "PHONEALIASES", "ADD", cut(id, cutAliasID), nil)
	return ok("SUCCESS: add_phone_alias PHONE ALIAS HAS BEEN ADDED - %s|%s|%s|%s", api.User, id, name, list)
}

func (s *Simulator) updatePhoneAlias(api *Account, p url.Values) answer {
	if !mayPhone(api) {
		return ok("ERROR: update_phone_alias USER DOES NOT HAVE PERMISSION TO UPDATE PHONE ALIASES: |%s|0", api.User)
	}
	id, name, list := filterID(p.Get("alias_id")), filterText(p.Get("alias_name")), filterLogins(p.Get("phone_logins"))
	del := filterUpper(p.Get("delete_alias"))
	if len(id) < 2 || len(list) < 2 && name == "" && del == "" {
		return ok("ERROR: update_phone_alias YOU MUST USE ALL REQUIRED FIELDS: |%s|%s|%s|%s", api.User, id, name, list)
	}
	b := &s.book
	key := strings.ToLower(id)
	alias, found := b.aliases[key]
	if !found {
		return ok("ERROR: update_phone_alias PHONE ALIAS DOES NOT EXIST: |%s|%s", api.User, id)
	}
	if del == "Y" {
		if !api.AstDeletePhones {
			return ok("NOTICE: update_phone_alias USER DOES NOT HAVE PERMISSION TO DELETE PHONE ALIASES: |%s|0", api.User)
		}
		delete(b.aliases, key)
		b.changed(api, "PHONEALIASES", "DELETE", alias.AliasID, nil)
		return ok("SUCCESS: update_phone_alias PHONE ALIAS HAS BEEN DELETED - %s|%s", api.User, id)
	}
	updated := alias.clone()
	n := 0
	if name != "" {
		if len(name) < 2 || len(name) > 50 {
			return ok("ERROR: update_phone_alias YOU MUST USE A VALID ALIAS NAME: |%s|%s", api.User, name)
		}
		updated.AliasName = name
		n++
	}
	if len(list) >= 2 {
		logins, missing, found := b.phoneLogins(list)
		if !found {
			return ok("ERROR: update_phone_alias PHONE DOES NOT EXIST: |%s|%s", api.User, missing)
		}
		updated.Logins = logins
		n++
	}
	if n == 0 {
		return ok("NOTICE: update_phone_alias NO UPDATES DEFINED: |%s|", api.User)
	}
	*alias = updated
	b.changed(api, "PHONEALIASES", "MODIFY", alias.AliasID, nil)
	return ok("SUCCESS: update_phone_alias PHONE ALIAS HAS BEEN UPDATED - %s|%s|", api.User, id)
}
