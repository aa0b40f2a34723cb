-- 0002: indexes for the history command's look-ups (a person's story by key
-- or by login, case-insensitively, as VICIdial compares logins), for the
-- list of runs, and for the safeguards' questions (LastRun, Known). The
-- story queries use one index per term (a UNION of look-ups), and repeat
-- the partial indexes' conditions so that SQLite may use them.

CREATE INDEX outcomes_by_key ON outcomes (person_key) WHERE person_key <> '';
CREATE INDEX outcomes_by_login ON outcomes ({{nocase "login"}}) WHERE login <> '';
CREATE INDEX persons_by_key ON persons (person_key);
CREATE INDEX persons_by_login ON persons ({{nocase "login"}}) WHERE login <> '';
CREATE INDEX persons_created_from ON persons (server, input) WHERE state = 'created';
CREATE INDEX runs_by_start ON runs (started, id);
CREATE INDEX runs_finished ON runs (server, input, started) WHERE ended IS NOT NULL AND dry_run = 0;
