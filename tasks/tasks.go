// Package tasks is the contract between the API, the scheduler and the
// workers: task type names, queues, typed payloads and the enqueue options of
// each type. Payloads carry ids, never data, so a task always acts on the
// current state of the database and of NetBox.
package tasks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Task type names. They are fixed by DESIGN.md §5: other programs enqueue and
// inspect them.
const (
	TypeExport             = "netbox:export"
	TypeExportBatch        = "netbox:export:batch"
	TypeDeviceSync         = "netbox:device:sync"
	TypeDeviceDecommission = "netbox:device:decommission"
	TypeScanStatus         = "wug:scan:status"
	// TypeSweep is the periodic clean-up: it restarts scan polls whose tasks
	// were lost and closes runs and rows that are stuck.
	TypeSweep = "wugsync:sweep"
)

// Queue names and their weights: webhooks first, exports next, sweeps last.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// QueueWeights is the asynq Queues map every worker uses.
func QueueWeights() map[string]int {
	return map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}
}

// Spec is how one task type is run: its queue, its time limit and how many
// times a failure is retried.
type Spec struct {
	Queue    string
	Timeout  time.Duration
	MaxRetry int
}

// Specs gives the explicit queue, timeout and retry budget of every task type.
var Specs = map[string]Spec{
	TypeExport:             {Queue: QueueDefault, Timeout: 30 * time.Minute, MaxRetry: 5},
	TypeExportBatch:        {Queue: QueueDefault, Timeout: 10 * time.Minute, MaxRetry: 10},
	TypeDeviceSync:         {Queue: QueueCritical, Timeout: 2 * time.Minute, MaxRetry: 8},
	TypeDeviceDecommission: {Queue: QueueCritical, Timeout: 2 * time.Minute, MaxRetry: 8},
	TypeScanStatus:         {Queue: QueueLow, Timeout: time.Minute, MaxRetry: 5},
	TypeSweep:              {Queue: QueueLow, Timeout: 2 * time.Minute, MaxRetry: 0},
}

// LongestTimeout is the largest task timeout; deployments give workers a
// termination grace period longer than it.
func LongestTimeout() time.Duration {
	var longest time.Duration
	for _, s := range Specs {
		longest = max(longest, s.Timeout)
	}
	return longest
}

// ErrBadPayload marks a payload that can never be processed; handlers wrap
// it with asynq.SkipRetry so it is archived at once instead of retried.
var ErrBadPayload = errors.New("bad task payload")

// ExportPayload starts the planning phase of one run (a WUGSyncLog row that
// already says which connection, filters and dry-run flag).
type ExportPayload struct {
	RunID uint `json:"run_id"`
}

// BatchPayload applies one batch of a run's plan.
type BatchPayload struct {
	RunID uint `json:"run_id"`
	Batch int  `json:"batch"`
}

// DeviceSyncPayload exports one NetBox device to every active,
// export-enabled connection, or to one when ConnectionID is set.
type DeviceSyncPayload struct {
	NetBoxDeviceID int64  `json:"netbox_device_id"`
	ConnectionID   uint   `json:"connection_id,omitempty"`
	Trigger        string `json:"trigger"`
	// RunIDs are queued one-device runs the API recorded for this request
	// (one per connection), so that it can wait for them; the task runs
	// them instead of recording its own, and cancels those whose
	// connection no longer takes the device.
	RunIDs []uint `json:"run_ids,omitempty"`
}

// DecommissionPayload applies the decommission action to one NetBox device
// on every connection that exported it.
type DecommissionPayload struct {
	NetBoxDeviceID int64  `json:"netbox_device_id"`
	Trigger        string `json:"trigger"`
}

// ScanStatusPayload polls one WUG discovery scan of one connection.
type ScanStatusPayload struct {
	ConnectionID uint   `json:"connection_id"`
	ScanID       string `json:"scan_id"`
	// Poll counts the polls so far; the delay before the next one grows
	// with it.
	Poll int `json:"poll"`
	// Chain tells apart a poll chain the sweep restarted from the lost one,
	// whose task ids may still be taken (an archived task keeps its id).
	Chain int64 `json:"chain,omitempty"`
}

// SweepPayload names the scheduler slot that enqueued the sweep.
type SweepPayload struct {
	Slot int64 `json:"slot"`
}

// Decode unmarshals a payload strictly: unknown fields and missing ids are
// errors wrapping ErrBadPayload.
func Decode[T any](data []byte, into *T) error {
	if err := strictUnmarshal(data, into); err != nil {
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	if v, ok := any(into).(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrBadPayload, err)
		}
	}
	return nil
}

func (p *ExportPayload) validate() error {
	if p.RunID == 0 {
		return errors.New("run_id is required")
	}
	return nil
}

func (p *BatchPayload) validate() error {
	if p.RunID == 0 {
		return errors.New("run_id is required")
	}
	if p.Batch < 1 {
		return errors.New("batch must be at least 1")
	}
	return nil
}

func (p *DeviceSyncPayload) validate() error {
	if p.NetBoxDeviceID <= 0 {
		return errors.New("netbox_device_id must be positive")
	}
	return nil
}

func (p *DecommissionPayload) validate() error {
	if p.NetBoxDeviceID <= 0 {
		return errors.New("netbox_device_id must be positive")
	}
	return nil
}

func (p *ScanStatusPayload) validate() error {
	if p.ConnectionID == 0 || p.ScanID == "" {
		return errors.New("connection_id and scan_id are required")
	}
	return nil
}

func strictUnmarshal(data []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}
