package report

import (
	"strings"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial"
)

// Where a row's fix goes, as a report names it.
const (
	placeFile         = "the file"
	placeExport       = "HR's export"
	placeMapping      = "the mapping"
	placeFileOrServer = "the file, or the server"
	placeMappedOrSrv  = "the mapping or HR's export, or the server"
	placeServer       = "the server (IT)"
	placeCommandLine  = "the command line"
	placeRunAgain     = "nothing to correct: run again"
	placeLookUp       = "the server: look the account up"
)

// fixPlace is where the fix of a code goes, and what to do about it when
// the input is read through a mapping (then the file is HR's export, which
// HR does not edit by hand, and what was read from it came through the
// mapping).
type fixPlace struct {
	plain, mapped string // where, for a plain file and for a mapped export
	fixMapped     string // the fix for a mapped export; "" when the same as Reason.Fix
}

// places are the codes whose rows need a person; a code not here needs
// nothing.
var places = map[string]fixPlace{
	batch.CodeInvalidInput: {placeFile, placeExport,
		"Correct the value in HR's system and export again (result_reason names the column), or, when result_reason says a value is not in the map, add it to the mapping (or give a default); then run the same command again."},
	batch.CodeDuplicateLogin: {placeFile, placeExport,
		"Give this person another login in HR's export (or let the mapping generate logins), or remove the repeated row; then run the same command again."},
	batch.CodeDuplicateKey: {placeFile, placeExport,
		"Correct the key in HR's system (each person's own id), or remove the repeated row from the export; then run the same command again."},
	string(vicidial.ReasonUserExists): {placeFile, placeExport,
		"Give this person another login (or let the mapping generate logins); if it is the same person, make the mapped agent_full_name match the existing account exactly."},
	string(vicidial.ReasonMissingFields): {placeFile, placeMapping,
		"Make the mapping give agent_user, agent_pass and agent_user_group only letters, digits, - and _, and give agent_full_name and agent_user_level a value."},
	batch.CodeExistsChanged: {placeFile, placeExport,
		"If the change is a mistake, correct it in HR's system; if it is wanted, let the run apply it (--update), or ask IT to change the account in the VICIdial admin screen."},
	string(vicidial.ReasonGroupNotFound): {placeFileOrServer, placeMappedOrSrv,
		"Correct the user group the mapping gives (its map for agent_user_group; names are case-sensitive), or ask IT to create the user group (Admin > User Groups)."},
	string(vicidial.ReasonTemplateNotFound): {placeFileOrServer, placeMappedOrSrv,
		"Correct the template login the mapping gives (its map for template), or ask IT to create the template account."},
	string(vicidial.ReasonLevelNotPermitted): {placeFileOrServer, placeMappedOrSrv,
		"Lower the agent_user_level the mapping gives, or ask IT to raise the API user's level or grant \"Modify Same User Level\"."},
	string(vicidial.ReasonInvalidGroup): {placeFileOrServer, placeMappedOrSrv,
		"Correct the user group the mapping gives, or ask IT to create the user group."},
	string(vicidial.ReasonInvalidPhoneLogin): {placeFileOrServer, placeMappedOrSrv,
		"Correct the phone login in HR's export (or the mapping that gives it), or ask IT to create the phone."},
	string(vicidial.ReasonInvalidField): {placeFile, placeExport,
		"Correct that value in HR's system (or the mapping that gives it); the next run sends only the update_user."},
	string(vicidial.ReasonNoPermission):       {placeServer, placeServer, ""},
	string(vicidial.ReasonFunctionNotAllowed): {placeServer, placeServer, ""},
	string(vicidial.ReasonLoginIncorrect):     {placeServer, placeServer, ""},
	string(vicidial.ReasonLockedOut):          {placeServer, placeServer, ""},
	string(vicidial.ReasonUpdateNotPermitted): {placeServer, placeServer, ""},
	string(vicidial.ReasonUnrecognisedError):  {placeServer, placeServer, ""},
	string(vicidial.ReasonUserNotFound):       {placeServer, placeServer, ""},
	string(vicidial.ReasonNoFunction):         {placeCommandLine, placeCommandLine, ""},
	string(vicidial.ReasonInvalidSource):      {placeCommandLine, placeCommandLine, ""},
	batch.CodeNotCreated:                      {placeServer, placeServer, ""},
	batch.CodeOutcomeUnknown:                  {placeLookUp, placeLookUp, ""},
	batch.CodeTransport:                       {placeRunAgain, placeRunAgain, ""},
	batch.CodeNotAttempted:                    {placeRunAgain, placeRunAgain, ""},
	batch.CodeInterrupted:                     {placeRunAgain, placeRunAgain, ""},
	batch.CodeClaimedElsewhere:                {placeRunAgain, placeRunAgain, ""},
	batch.CodeLoginTaken:                      {placeRunAgain, placeRunAgain, ""},
}

// mappingValueMarker is what a row's reason says when a mapping's value
// map has no entry for the row's value (batch/mapping's ValueError): the
// fix is then in the mapping, not in the export.
const mappingValueMarker = "is not in the map"

// FixFor returns what to do about r's code: the table's Fix, or for an
// input read through a mapping (mapped) the fix in HR's system or the
// mapping, which differs for the codes whose value came from the file.
func (r Reason) FixFor(mapped bool) string {
	if p, ok := places[r.Code]; ok && mapped && p.fixMapped != "" {
		return p.fixMapped
	}
	return r.Fix
}

// Where says where the fix of a row with code and reason (the sentence of
// result_reason) goes: the file (HR's export, for a mapped input), the
// mapping, the server, the command line, or nowhere (run again); "" for a
// code that needs nothing.
func Where(code, reason string, mapped bool) string {
	p, ok := places[code]
	switch {
	case !ok:
		return ""
	case mapped && strings.Contains(reason, mappingValueMarker):
		return placeMapping
	case mapped:
		return p.mapped
	}
	return p.plain
}
