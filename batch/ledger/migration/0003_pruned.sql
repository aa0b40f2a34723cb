-- 0003: pruning. `vicionboard history --prune-before` deletes the outcomes
-- of old finished runs and keeps their runs rows, marked here: pruned_at is
-- when their outcomes were deleted (NULL: never, or not completely), and
-- pruned_rows how many were.

ALTER TABLE runs ADD COLUMN pruned_at TEXT;
ALTER TABLE runs ADD COLUMN pruned_rows INTEGER NOT NULL DEFAULT 0;
