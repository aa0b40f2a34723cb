-- 0005: what history tells of a run besides its counts. leavers is how many
-- rows the run wrote after the input's rows, for persons absent from the
-- input (--deactivate-missing): rows counts the input's rows only. stopped
-- says why a run stopped before its rows were done (a safeguard's figures,
-- a fatal error); '' when it did not.

ALTER TABLE runs ADD COLUMN leavers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN stopped TEXT NOT NULL DEFAULT '';
