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
	// TypeDeviceDrain applies the webhook syncs pending on one connection
	// (SyncQueue), up to batch_size objects per NetBox read and WUG batch.
	TypeDeviceDrain = "netbox:device:drain"
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

// Specs gives the queue, timeout and retry budget of every task type, as
// its Args declare them.
var Specs = func() map[string]Spec {
	specs := map[string]Spec{}
	for _, a := range all {
		specs[a.Kind()] = a.InsertOpts(time.Time{}).Spec
	}
	return specs
}()

// LongestTimeout is the largest task timeout; deployments give workers a
// termination grace period longer than it.
func LongestTimeout() time.Duration {
	var longest time.Duration
	for _, s := range Specs {
		longest = max(longest, s.Timeout)
	}
	return longest
}

// ErrBadPayload marks a payload that can never be processed: Register
// archives its task at once instead of retrying it, and Enqueue refuses it.
var ErrBadPayload = errors.New("bad task payload")

// ExportPayload starts the planning phase of one run (a WUGSyncLog row that
// already says which connection, filters and dry-run flag).
type ExportPayload struct {
	RunID uint `json:"run_id"`
}

// Kind is TypeExport.
func (ExportPayload) Kind() string { return TypeExport }

// InsertOpts: one planning task per run.
func (p ExportPayload) InsertOpts(time.Time) InsertOpts {
	return InsertOpts{Spec: Spec{Queue: QueueDefault, Timeout: 30 * time.Minute, MaxRetry: 5},
		TaskID: fmt.Sprintf("export:run:%d", p.RunID)}
}

func (p ExportPayload) validate() error {
	if p.RunID == 0 {
		return errors.New("run_id is required")
	}
	return nil
}

// BatchPayload applies one batch of a run's plan.
type BatchPayload struct {
	RunID uint `json:"run_id"`
	Batch int  `json:"batch"`
}

// Kind is TypeExportBatch.
func (BatchPayload) Kind() string { return TypeExportBatch }

// InsertOpts: one task per batch of a run. Batches retry more than the
// planning task because each retry resumes where the last one stopped.
func (p BatchPayload) InsertOpts(time.Time) InsertOpts {
	return InsertOpts{Spec: Spec{Queue: QueueDefault, Timeout: 10 * time.Minute, MaxRetry: 10},
		TaskID: fmt.Sprintf("export:run:%d:batch:%d", p.RunID, p.Batch)}
}

func (p BatchPayload) validate() error {
	if p.RunID == 0 {
		return errors.New("run_id is required")
	}
	if p.Batch < 1 {
		return errors.New("batch must be at least 1")
	}
	return nil
}

// DeviceSyncPayload exports one NetBox device (or, with NetBoxVMID, one
// virtual machine) to every active, export-enabled connection, or to one
// when ConnectionID is set.
type DeviceSyncPayload struct {
	NetBoxDeviceID int64 `json:"netbox_device_id,omitempty"`
	// NetBoxVMID names a virtual machine instead of a device; exactly one
	// of the two is set.
	NetBoxVMID   int64  `json:"netbox_vm_id,omitempty"`
	ConnectionID uint   `json:"connection_id,omitempty"`
	Trigger      string `json:"trigger"`
	// RunIDs are queued one-device runs the API recorded for this request
	// (one per connection), so that it can wait for them; the task runs
	// them instead of recording its own, and cancels those whose
	// connection no longer takes the device.
	RunIDs []uint `json:"run_ids,omitempty"`
}

// Kind is TypeDeviceSync.
func (DeviceSyncPayload) Kind() string { return TypeDeviceSync }

// InsertOpts delays the sync by DeviceSyncDebounce. Events for the same
// device in the same window share a task id, so a burst becomes one sync
// that reads the device's latest state.
func (p DeviceSyncPayload) InsertOpts(now time.Time) InsertOpts {
	if len(p.RunIDs) > 0 {
		// Someone waits for these runs: no debounce, and no merging with a
		// webhook's task, which would not run them.
		return InsertOpts{Spec: Spec{Queue: QueueCritical, Timeout: 2 * time.Minute, MaxRetry: 8},
			TaskID: fmt.Sprintf("%s:sync:%d:run:%d", objectNoun(p.NetBoxVMID), objectID(p.NetBoxDeviceID, p.NetBoxVMID), p.RunIDs[0])}
	}
	return InsertOpts{Spec: Spec{Queue: QueueCritical, Timeout: 2 * time.Minute, MaxRetry: 8},
		TaskID:    fmt.Sprintf("%s:sync:%d:%d:%d", objectNoun(p.NetBoxVMID), objectID(p.NetBoxDeviceID, p.NetBoxVMID), p.ConnectionID, debounceWindow(now)),
		ProcessIn: DeviceSyncDebounce}
}

func (p DeviceSyncPayload) validate() error {
	return validateObject(p.NetBoxDeviceID, p.NetBoxVMID)
}

// objectNoun starts a task id: a VM's tasks never share an id with those
// of the device that has the same number.
func objectNoun(vmID int64) string {
	if vmID != 0 {
		return "vm"
	}
	return "device"
}

// objectID is the id a payload names, a device's or a VM's.
func objectID(deviceID, vmID int64) int64 {
	if vmID != 0 {
		return vmID
	}
	return deviceID
}

// validateObject accepts exactly one positive id.
func validateObject(deviceID, vmID int64) error {
	switch {
	case deviceID != 0 && vmID != 0:
		return errors.New("give netbox_device_id or netbox_vm_id, not both")
	case vmID < 0:
		return errors.New("netbox_vm_id must be positive")
	case vmID == 0 && deviceID <= 0:
		return errors.New("netbox_device_id must be positive")
	}
	return nil
}

// DrainPayload syncs, batch by batch, the objects webhooks queued on one
// connection (SyncQueue) until none is due. Gen numbers the connection's
// drain chains, so a chain that starts after an earlier one ended gets a
// task id of its own.
type DrainPayload struct {
	ConnectionID uint  `json:"connection_id"`
	Gen          int64 `json:"gen"`
}

// Kind is TypeDeviceDrain.
func (DrainPayload) Kind() string { return TypeDeviceDrain }

// InsertOpts: webhooks' queue, no delay (the leading edge of a burst syncs
// at once; SyncQueue's cooldown spaces the later syncs). A drain hands over
// to a new task after a while, so its timeout bounds one stretch of work,
// not a whole storm.
func (p DrainPayload) InsertOpts(time.Time) InsertOpts {
	return InsertOpts{Spec: Spec{Queue: QueueCritical, Timeout: 10 * time.Minute, MaxRetry: 8},
		TaskID: fmt.Sprintf("device:drain:%d:%d", p.ConnectionID, p.Gen)}
}

func (p DrainPayload) validate() error {
	if p.ConnectionID == 0 || p.Gen <= 0 {
		return errors.New("connection_id and a positive gen are required")
	}
	return nil
}

// DecommissionPayload applies the decommission action to one NetBox device
// on every connection that exported it.
type DecommissionPayload struct {
	NetBoxDeviceID int64 `json:"netbox_device_id,omitempty"`
	// NetBoxVMID names a virtual machine instead of a device.
	NetBoxVMID int64  `json:"netbox_vm_id,omitempty"`
	Trigger    string `json:"trigger"`
}

// Kind is TypeDeviceDecommission.
func (DecommissionPayload) Kind() string { return TypeDeviceDecommission }

// InsertOpts debounces like a device sync.
func (p DecommissionPayload) InsertOpts(now time.Time) InsertOpts {
	return InsertOpts{Spec: Spec{Queue: QueueCritical, Timeout: 2 * time.Minute, MaxRetry: 8},
		TaskID:    fmt.Sprintf("%s:decommission:%d:%d", objectNoun(p.NetBoxVMID), objectID(p.NetBoxDeviceID, p.NetBoxVMID), debounceWindow(now)),
		ProcessIn: DeviceSyncDebounce}
}

func (p DecommissionPayload) validate() error {
	return validateObject(p.NetBoxDeviceID, p.NetBoxVMID)
}

// ScanStatusPayload polls one WUG discovery scan of one connection. The
// delay before the poll is the caller's (asynq.ProcessIn at Enqueue).
type ScanStatusPayload struct {
	ConnectionID uint   `json:"connection_id"`
	ScanID       string `json:"scan_id"`
	// Poll counts the polls so far; the delay before the next one grows
	// with it.
	Poll int `json:"poll"`
	// Chain tells apart a poll chain the sweep restarted from the lost one,
	// whose task ids may still be taken (an archived task keeps its id).
	Chain int64 `json:"chain,omitempty"`
	// Delay is how long the poll waits before it runs; it is an insert
	// option, not part of the payload.
	Delay time.Duration `json:"-"`
}

// Kind is TypeScanStatus.
func (ScanStatusPayload) Kind() string { return TypeScanStatus }

// InsertOpts: one task per poll of a chain.
func (p ScanStatusPayload) InsertOpts(time.Time) InsertOpts {
	return InsertOpts{Spec: Spec{Queue: QueueLow, Timeout: time.Minute, MaxRetry: 5},
		TaskID: fmt.Sprintf("scan:%d:%s:%d:%d", p.ConnectionID, p.ScanID, p.Chain, p.Poll), ProcessIn: p.Delay}
}

func (p ScanStatusPayload) validate() error {
	if p.ConnectionID == 0 || p.ScanID == "" {
		return errors.New("connection_id and scan_id are required")
	}
	return nil
}

// SweepPayload names the scheduler slot that enqueued the sweep.
type SweepPayload struct {
	Slot int64 `json:"slot"`
}

// Kind is TypeSweep.
func (SweepPayload) Kind() string { return TypeSweep }

// InsertOpts: several schedulers enqueuing the same slot produce one task,
// whose id is kept a while after it ran so a late scheduler cannot repeat
// it. A sweep is not retried: the next slot sweeps again.
func (p SweepPayload) InsertOpts(time.Time) InsertOpts {
	return InsertOpts{Spec: Spec{Queue: QueueLow, Timeout: 2 * time.Minute, MaxRetry: 0},
		TaskID: fmt.Sprintf("sweep:%d", p.Slot), Retention: 10 * time.Minute}
}

// all holds one value of every task type.
var all = []Args{ExportPayload{}, BatchPayload{}, DeviceSyncPayload{}, DecommissionPayload{},
	ScanStatusPayload{}, SweepPayload{}, DrainPayload{}}

// Decode unmarshals a payload strictly: unknown fields and missing ids are
// errors wrapping ErrBadPayload.
func Decode[T any](data []byte, into *T) error {
	if err := strictUnmarshal(data, into); err != nil {
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return validate(*into)
}

// validate checks the ids a payload cannot do without.
func validate(payload any) error {
	if v, ok := payload.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrBadPayload, err)
		}
	}
	return nil
}

func strictUnmarshal(data []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the payload")
	}
	return nil
}
