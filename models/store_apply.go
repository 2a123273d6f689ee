package models

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// applyChunk bounds the id lists of one query (IN lists stay well below
// both databases' parameter limits).
const applyChunk = 500

// EachPlanEntry streams the entries of a run in id order, a page at a time,
// so copying a 100,000-device plan holds one page in memory.
func (s Store) EachPlanEntry(ctx context.Context, runID uint, fn func([]PlanEntry) error) error {
	var page []PlanEntry
	err := s.entries(ctx, runID).Order("id").FindInBatches(&page, applyChunk, func(*gorm.DB, int) error {
		return fn(page)
	}).Error
	if err != nil {
		return fmt.Errorf("read the plan of run %d: %w", runID, err)
	}
	return nil
}

// AddressPartners returns the objects of run runID's plan that share an
// address with one of objects ids (those ids left out): the objects whose
// IP conflict, or its absence, may change when ids change.
func (s Store) AddressPartners(ctx context.Context, runID uint, t ObjectType, ids []int64) ([]int64, error) {
	var out []int64
	for chunk := range slices.Chunk(ids, applyChunk) {
		var addrs []string
		if err := s.entries(ctx, runID).Where("object_type = ? AND netbox_object_id IN ? AND ip_address <> ''", t, chunk).
			Distinct().Pluck("ip_address", &addrs).Error; err != nil {
			return nil, fmt.Errorf("addresses of changed objects in run %d: %w", runID, err)
		}
		for addrChunk := range slices.Chunk(addrs, applyChunk) {
			var partners []int64
			if err := s.entries(ctx, runID).Where("object_type = ? AND ip_address IN ?", t, addrChunk).
				Pluck("netbox_object_id", &partners).Error; err != nil {
				return nil, fmt.Errorf("objects sharing an address in run %d: %w", runID, err)
			}
			out = append(out, partners...)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(id int64) bool { _, found := slices.BinarySearch(ids, id); return found }), nil
}

// StoreReplanned records the objects an applied run decided again.
func (s Store) StoreReplanned(ctx context.Context, run *WUGSyncLog, ids []int64) error {
	if ids == nil {
		ids = []int64{}
	}
	text, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("encode the replanned objects of run %d: %w", run.ID, err)
	}
	// The column's serializer does not run for a one-column update.
	if err := s.db.WithContext(ctx).Model(&WUGSyncLog{}).Where("id = ?", run.ID).
		Update("replanned", string(text)).Error; err != nil {
		return fmt.Errorf("store the replanned objects of run %d: %w", run.ID, err)
	}
	run.Replanned = ids
	return nil
}

// ApplyingRun returns the run, other than a failed or cancelled one, that
// applies dry run sourceID; an error IsNotFound when there is none.
func (s Store) ApplyingRun(ctx context.Context, sourceID uint) (WUGSyncLog, error) {
	var run WUGSyncLog
	err := s.db.WithContext(ctx).Where("applied_from = ? AND status NOT IN ?", sourceID,
		[]RunStatus{RunFailed, RunCancelled}).Order("id").First(&run).Error
	if err != nil {
		return run, fmt.Errorf("find the run applying %d: %w", sourceID, err) // IsNotFound when none
	}
	return run, nil
}
