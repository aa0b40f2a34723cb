-- 0004: the ledger's identity (see identity.go): ledger_id, made when the
-- ledger is created; created_at; key_fingerprint, naming (never holding)
-- the key its digests and generated passwords are made with; key_ledger,
-- the ledger id its key file names.

CREATE TABLE meta (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
