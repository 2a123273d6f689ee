package models

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/wugsync/wugsync/export"

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

// AddressPartners returns the objects of run runID's plan, of either kind,
// that share an address with one of the changed objects (those left out):
// the objects whose IP conflict, or its absence, may change when they
// change. A device and a virtual machine on one address conflict too.
func (s Store) AddressPartners(ctx context.Context, runID uint, changed []export.ObjectRef) ([]export.ObjectRef, error) {
	byType := map[ObjectType][]int64{}
	isChanged := make(map[export.ObjectRef]bool, len(changed))
	for _, r := range changed {
		byType[r.Type] = append(byType[r.Type], r.ID)
		isChanged[r] = true
	}
	var addrs []string
	for _, t := range ObjectTypes() {
		for chunk := range slices.Chunk(byType[t], applyChunk) {
			var some []string
			if err := s.entries(ctx, runID).Where("object_type = ? AND netbox_object_id IN ? AND ip_address <> ''", t, chunk).
				Distinct().Pluck("ip_address", &some).Error; err != nil {
				return nil, fmt.Errorf("addresses of changed objects in run %d: %w", runID, err)
			}
			addrs = append(addrs, some...)
		}
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	var out []export.ObjectRef
	for addrChunk := range slices.Chunk(addrs, applyChunk) {
		// The column tags are needed: GORM's naming of NetBoxObjectID
		// is net_box_object_id, which Scan would silently leave at 0.
		var partners []struct {
			ObjectType     ObjectType `gorm:"column:object_type"`
			NetBoxObjectID int64      `gorm:"column:netbox_object_id"`
		}
		if err := s.entries(ctx, runID).Select("object_type, netbox_object_id").Where("ip_address IN ?", addrChunk).
			Scan(&partners).Error; err != nil {
			return nil, fmt.Errorf("objects sharing an address in run %d: %w", runID, err)
		}
		for _, p := range partners {
			if r := (export.ObjectRef{Type: p.ObjectType, ID: p.NetBoxObjectID}); !isChanged[r] {
				out = append(out, r)
			}
		}
	}
	return SortedRefs(out), nil
}

// SortedRefs sorts refs by type then id and drops repeats.
func SortedRefs(refs []export.ObjectRef) []export.ObjectRef {
	slices.SortFunc(refs, func(a, b export.ObjectRef) int {
		if a.Type != b.Type {
			return strings.Compare(string(a.Type), string(b.Type))
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return slices.Compact(refs)
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
