package ledger

import (
	"context"

	"github.com/vicionboard/vicionboard/batch"
)

// NewProblems counts the rows of run that are INVALID or ERROR whose person
// was not INVALID or ERROR in the run prev (ignored when ""): the rows that
// need a person tonight and did not need one after the last night, for a
// scheduler that alerts only on what is new. A person is matched by key;
// a row without a key (an unreadable one) by its login, else by its line.
func (d *DB) NewProblems(ctx context.Context, run, prev batch.RunID) (int, error) {
	var n int
	err := d.queryRow(ctx, `SELECT count(*) FROM outcomes AS o
		WHERE o.run_id = ?1 AND o.status IN (?3, ?4) AND NOT EXISTS (
			SELECT 1 FROM outcomes AS p
			WHERE p.run_id = ?2 AND p.status IN (?3, ?4) AND CASE
				WHEN o.person_key <> '' THEN p.person_key = o.person_key
				WHEN o.login <> '' THEN p.person_key = '' AND {{nocase "p.login"}} = {{nocase "o.login"}}
				ELSE p.person_key = '' AND p.login = '' AND p.line = o.line
			END)`,
		run, prev, batch.StatusInvalid, batch.StatusError).Scan(&n)
	return n, d.wrap("new problems", err)
}
