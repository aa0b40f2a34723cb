-- 0007: the agents' own phones (see phones.go). One row per person per
-- server whose row asked for a phone of their own: claimed before its
-- add_phone is sent, created once the server has it. A phone vicionboard
-- only found on the server is never here: it is never changed. A row is
-- never deleted once its phone is created (a phone is never deleted
-- either), so that an extension from a range is never given to another
-- person. No column holds a password.

CREATE TABLE phones (
	server      TEXT NOT NULL,             -- the job's server, as persons.server
	person_key  TEXT NOT NULL,
	extension   TEXT NOT NULL,
	server_ip   TEXT NOT NULL,             -- with extension, what identifies the phone on the server
	login       TEXT NOT NULL,             -- the phone's login, free on every server of the cluster
	state       TEXT NOT NULL CHECK (state IN ('claimed', 'created')),
	active      TEXT NOT NULL DEFAULT 'Y' CHECK (active IN ('Y', 'N')),
	full_name   TEXT NOT NULL,             -- the phone_full_name last applied
	generated   INTEGER NOT NULL CHECK (generated IN (0, 1)), -- the extension came from a range
	run_id      TEXT NOT NULL REFERENCES runs (id), -- holds the claim, or last changed the row
	created_by  TEXT REFERENCES runs (id),
	created_at  TEXT,
	updated_at  TEXT NOT NULL,
	PRIMARY KEY (server, person_key)
);

CREATE UNIQUE INDEX phones_by_extension ON phones (server, server_ip, {{nocase "extension"}});
CREATE UNIQUE INDEX phones_by_login ON phones (server, {{nocase "login"}});
