package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// stageNetBoxWriteback is the connection test's stage that checks the
// NetBox token's write rights, run when the connection writes back.
const stageNetBoxWriteback = "netbox_writeback"

// netboxWriteCheck is what the connection test found about the NetBox
// rights write-back and the journal need.
type netboxWriteCheck struct {
	// Checked lists the permissions probed, by NetBox's names.
	Checked []string `json:"checked" doc:"the NetBox permissions probed, e.g. dcim.change_device"`
	// Missing lists the permissions NetBox denied, with what each is for.
	Missing []string `json:"missing" doc:"the permissions NetBox denied, each with what wugsync needs it for"`
	Error   string   `json:"error,omitempty" doc:"why the rights could not be checked"`
}

// writebackPermissions are the NetBox rights conn's write-back needs.
func writebackPermissions(conn models.WUGConnection) []string {
	var perms []string
	if conn.NetBoxWriteback {
		perms = append(perms, netbox.PermChangeDevice, netbox.PermChangeVirtualMachine)
	}
	if conn.NetBoxJournal {
		perms = append(perms, netbox.PermAddJournalEntry)
	}
	return perms
}

// probeNetBoxWrites checks, with the permission probe netbox-setup uses
// (empty bulk requests: nothing changes in NetBox), that the NetBox token
// may do what conn's write-back and journal do. A denial fails the test
// at stage netbox_writeback, naming the permissions to grant.
func (s *Server) probeNetBoxWrites(ctx context.Context, conn models.WUGConnection, res *probeResult) {
	perms := writebackPermissions(conn)
	if len(perms) == 0 {
		return
	}
	check := &netboxWriteCheck{Checked: perms, Missing: []string{}}
	res.NetBoxWriteback = check
	if s.p.NetBox == nil {
		check.Error = "no NetBox is configured (WUGSYNC_NETBOX_URL), so its rights cannot be checked"
		return
	}
	report, err := s.p.NetBox.ProbePermissions(ctx, perms...)
	if err != nil {
		check.Error = err.Error()
	}
	for _, m := range report.Missing() {
		check.Missing = append(check.Missing, fmt.Sprintf("%s (to %s)", m.Permission, m.Purpose))
	}
	if len(check.Missing) == 0 && check.Error == "" || !res.OK {
		return // a WUG failure stays the test's first finding
	}
	res.OK, res.Stage = false, stageNetBoxWriteback
	if len(check.Missing) > 0 {
		res.Kind = "netbox_permission"
		res.Error = "the NetBox token lacks what write-back needs: grant " + strings.Join(check.Missing, ", ") +
			" to the token's user, and make the token write-enabled"
		return
	}
	res.Kind, res.Error = "netbox", "could not check the NetBox token's write rights: "+check.Error
}
