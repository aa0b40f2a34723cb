package batch

import (
	"context"
	"strings"

	"github.com/vicionboard/vicionboard/vicidial"
)

// This file is the dry run's server for the agents' own phones: the
// predictor answers add_phone with ProbePhone, which runs add_phone's
// checks (the server, the extension, the login) and stops before its
// insert, and update_phone, which writes whatever it is given, with a
// probe of whether the phone exists. Nothing is written on the server.

// AddPhone predicts add_phone: its probe (with placeholder passwords),
// which the server answers as add_phone would but for the timezone and
// the template, which it does not check; offline, that it would pass.
func (p *predictor) AddPhone(ctx context.Context, req vicidial.AddPhoneRequest) (vicidial.PhoneAdded, error) {
	added := vicidial.PhoneAdded{Extension: req.Extension, ServerIP: req.ServerIP, Protocol: req.Protocol, DialplanNumber: req.DialplanNumber}
	if p.server == nil {
		return added, nil
	}
	req.PhonePass, req.RegistrationPassword = probePhonePass, probePhonePass
	if err := p.server.ProbePhone(ctx, req); err != nil {
		return vicidial.PhoneAdded{}, err
	}
	return added, nil
}

// ProbePhone asks the server (a probe writes nothing); offline, the phone
// could be added.
func (p *predictor) ProbePhone(ctx context.Context, req vicidial.AddPhoneRequest) error {
	if p.server == nil {
		return nil
	}
	req.PhonePass, req.RegistrationPassword = probePhonePass, probePhonePass
	return p.server.ProbePhone(ctx, req)
}

// UpdatePhone predicts update_phone without sending it (every update_phone
// writes): it succeeds when the server has the phone, which a probe of
// add_phone for its extension tells (PHONE_EXISTS); otherwise it would
// answer PHONE_NOT_FOUND. Offline, it would succeed.
func (p *predictor) UpdatePhone(ctx context.Context, u vicidial.UpdatePhoneRequest) error {
	if p.server == nil {
		return nil
	}
	probe := vicidial.AddPhoneRequest{Extension: u.Extension, DialplanNumber: "probe", VoicemailID: "probe",
		PhoneLogin: "vicionboardprobe", PhonePass: probePhonePass, ServerIP: u.ServerIP, Protocol: DefaultPhoneProtocol,
		RegistrationPassword: probePhonePass, FullName: probePhoneName, LocalGMT: DefaultPhoneLocalGMT, OutboundCID: "0"}
	err := p.server.ProbePhone(ctx, probe)
	switch reason := vicidial.ReasonOf(err); {
	case reason == vicidial.ReasonPhoneExists:
		return nil
	case err == nil, reason == vicidial.ReasonPhoneLoginExists:
		return errPhoneNotFound(p.apiUser, u)
	}
	return err
}

// ClaimPhones answers phone claims as the ledger would (see
// PhoneLedger.ClaimPhones), writing nothing.
func (d *dryLedger) ClaimPhones(ctx context.Context, run RunID, claims []PhoneClaim) ([]PhoneClaimResult, error) {
	res := make([]PhoneClaimResult, len(claims))
	for i, c := range claims {
		phones, err := d.Ledger.PhonesByKey(ctx, c.Server, []string{c.Key})
		if err != nil {
			return nil, err
		}
		if p, ok := phones[c.Key]; ok {
			same := strings.EqualFold(p.Extension, c.Extension) && strings.EqualFold(p.ServerIP, c.ServerIP) && strings.EqualFold(p.Login, c.Login)
			res[i] = PhoneClaimResult{Prior: p, HadPrior: true, Granted: same && p.State == PhoneClaimed}
			continue
		}
		holder, taken, err := d.Ledger.PhoneHolder(ctx, c.Server, c.ServerIP, c.Extension, c.Login)
		if err != nil {
			return nil, err
		}
		if taken && holder != c.Key {
			res[i].Holder = holder
			continue
		}
		res[i].Granted = true
	}
	return res, nil
}

// RecordPhone changes nothing: a dry run's phones are predictions.
func (d *dryLedger) RecordPhone(context.Context, RunID, PhoneRecord) error { return nil }
