-- 0006: feeds and servers, by names that survive a change of file name or
-- URL.
--
-- runs.feed is the nightly job a run belongs to (--feed, a profile's name,
-- else the input's path as before): the safeguards compare a feed's runs,
-- and a person is a leaver only of the feed that created them
-- (persons.input holds that feed).
ALTER TABLE runs ADD COLUMN feed TEXT NOT NULL DEFAULT '';
UPDATE runs SET feed = input;

-- servers: every server the ledger knows, by the name its persons are kept
-- under (persons.server), and the URL it was last reached at. A ledger
-- written before named each server by its URL: those names stay.
CREATE TABLE servers (
	name  TEXT PRIMARY KEY,
	url   TEXT NOT NULL,
	added TEXT NOT NULL
);
INSERT INTO servers (name, url, added)
	SELECT server, server, min(updated_at) FROM persons WHERE server <> '' GROUP BY server;
CREATE INDEX servers_by_url ON servers (url);

-- A new key whose name is a known person's is looked up by name.
CREATE INDEX persons_by_name ON persons (server, {{nocase "full_name"}});
