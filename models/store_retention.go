package models

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Pruning bounds (issue 12, finding 6). How long runs are kept and how
// many attempts a row keeps are settings (WUGSYNC_RETENTION_DAYS and
// WUGSYNC_ATTEMPTS_PER_ROW, see config).
const (
	// DefaultPruneBatch is the most rows one pruning statement touches, so
	// no DELETE holds locks or fills the WAL for long.
	DefaultPruneBatch = 500
	// DefaultPruneStatements bounds the statements one Prune call runs; a
	// larger backlog drains over the next sweeps.
	DefaultPruneStatements = 40
)

// Retention says what Prune may remove.
type Retention struct {
	// MaxAge: finished runs created longer ago go, with their plan
	// entries, batch tallies and attempts. Zero keeps runs forever.
	MaxAge time.Duration
	// AttemptsPerRow is how many attempts each row keeps (the latest).
	// Zero keeps them all.
	AttemptsPerRow int
	// Batch is the most rows one statement deletes or updates; zero means
	// DefaultPruneBatch.
	Batch int
	// Statements bounds the statements of one call; zero means
	// DefaultPruneStatements.
	Statements int
}

// Pruned counts what one Prune call removed.
type Pruned struct {
	Runs, PlanEntries, RunBatches, Attempts int64
	// Statements is how many writing statements it ran, each touching at
	// most Retention.Batch rows.
	Statements int
	// More is true when the budget ran out before everything due was
	// pruned: the next call continues.
	More bool
}

// errPruneBudget stops a Prune call whose statement budget is spent.
var errPruneBudget = errors.New("prune budget spent")

// pruner runs bounded statements until its budget is spent.
type pruner struct {
	s     Store
	ctx   context.Context
	batch int
	left  int
	out   *Pruned
}

// exec runs one statement that touches at most p.batch rows and returns
// how many it touched.
func (p *pruner) exec(sql string, args ...any) (int64, error) {
	if p.left <= 0 {
		return 0, errPruneBudget
	}
	p.left--
	p.out.Statements++
	res := p.s.db.WithContext(p.ctx).Exec(sql, args...)
	if res.Error != nil {
		return 0, res.Error
	}
	return res.RowsAffected, nil
}

// drain repeats a bounded statement until it touches fewer rows than a
// batch (nothing left) or the budget is spent.
func (p *pruner) drain(count *int64, sql string, args ...any) error {
	for {
		n, err := p.exec(sql, args...)
		*count += n
		if err != nil || n < int64(p.batch) {
			return err
		}
	}
}

// Prune removes what the retention policy no longer keeps, a small batch
// per statement and a bounded number of statements per call, so that a
// backlog (after a flood, or on the first run on an old database) never
// becomes one huge DELETE: finished runs older than MaxAge (their plan
// entries, attempts and batch tallies first, then the links rows keep to
// them, then the runs), attempts older than MaxAge that belong to neither
// a run nor a row, and every row's attempts beyond its latest
// AttemptsPerRow. Runs still queued or running are never touched, and a
// row's attempts count is left as it is: it stays the total.
func (s Store) Prune(ctx context.Context, now time.Time, r Retention) (Pruned, error) {
	out := Pruned{}
	p := &pruner{s: s, ctx: ctx, batch: r.Batch, left: r.Statements, out: &out}
	if p.batch <= 0 {
		p.batch = DefaultPruneBatch
	}
	if p.left <= 0 {
		p.left = DefaultPruneStatements
	}
	err := p.oldRuns(now, r.MaxAge)
	if err == nil {
		err = p.extraAttempts(r.AttemptsPerRow)
	}
	if errors.Is(err, errPruneBudget) {
		out.More = true
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("prune: %w", err)
	}
	return out, nil
}

// oldRuns prunes the finished runs created before now-maxAge, a batch of
// runs at a time.
func (p *pruner) oldRuns(now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		return nil
	}
	cutoff := now.Add(-maxAge)
	for {
		var ids []uint
		err := p.s.db.WithContext(p.ctx).Model(&WUGSyncLog{}).
			Where("created_at < ? AND status NOT IN ?", cutoff, []RunStatus{RunQueued, RunRunning}).
			Order("id").Limit(p.batch).Pluck("id", &ids).Error
		if err != nil {
			return fmt.Errorf("list runs older than %s: %w", cutoff.Format(time.RFC3339), err)
		}
		if len(ids) == 0 {
			break
		}
		// What hangs off the runs goes first, a batch at a time, so the
		// runs' own DELETE cascades to nothing.
		steps := []struct {
			count *int64
			sql   string
		}{
			{&p.out.PlanEntries, `DELETE FROM sync_plan_entries WHERE id IN
				(SELECT id FROM sync_plan_entries WHERE sync_log_id IN ? LIMIT ?)`},
			{&p.out.Attempts, `DELETE FROM export_attempts WHERE id IN
				(SELECT id FROM export_attempts WHERE sync_log_id IN ? LIMIT ?)`},
			{&p.out.RunBatches, `DELETE FROM sync_run_batches WHERE id IN
				(SELECT id FROM sync_run_batches WHERE sync_log_id IN ? LIMIT ?)`},
			// A row keeps its history and its state; only its link to
			// the run it was last part of goes.
			{new(int64), `UPDATE netbox_ip_exports SET last_run_id = NULL WHERE id IN
				(SELECT id FROM netbox_ip_exports WHERE last_run_id IN ? LIMIT ?)`},
		}
		for _, st := range steps {
			if err := p.drain(st.count, st.sql, ids, p.batch); err != nil {
				return err
			}
		}
		n, err := p.exec(`DELETE FROM wug_sync_logs WHERE id IN ? AND status NOT IN ?`,
			ids, []RunStatus{RunQueued, RunRunning})
		p.out.Runs += n
		if err != nil {
			return err
		}
		if len(ids) < p.batch {
			break
		}
	}
	// Attempts of a task that had neither a run nor a row (a webhook sync
	// that failed before it recorded one, say) age out too.
	return p.drain(&p.out.Attempts, `DELETE FROM export_attempts WHERE id IN
		(SELECT id FROM export_attempts WHERE sync_log_id IS NULL AND export_id IS NULL AND occurred_at < ? LIMIT ?)`,
		cutoff, p.batch)
}

// extraAttempts trims each row's history to its latest keep attempts.
func (p *pruner) extraAttempts(keep int) error {
	if keep <= 0 {
		return nil
	}
	for {
		var rows []uint
		err := p.s.db.WithContext(p.ctx).Model(&ExportAttempt{}).
			Where("export_id IS NOT NULL").Group("export_id").Having("COUNT(*) > ?", keep).
			Order("export_id").Limit(p.batch).Pluck("export_id", &rows).Error
		if err != nil {
			return fmt.Errorf("find rows with more than %d attempts: %w", keep, err)
		}
		for _, row := range rows {
			// The oldest beyond the latest keep, a batch at a time.
			err := p.drain(&p.out.Attempts, `DELETE FROM export_attempts WHERE id IN
				(SELECT id FROM export_attempts WHERE export_id = ?
				 ORDER BY occurred_at DESC, id DESC LIMIT ? OFFSET ?)`, row, p.batch, keep)
			if err != nil {
				return err
			}
		}
		if len(rows) < p.batch {
			return nil
		}
	}
}
