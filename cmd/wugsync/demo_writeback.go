package main

import (
	"fmt"
	"io"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// demoWriteback is what the demo's report says about NetBox write-back.
type demoWriteback struct {
	// Field is the connection's custom field; "" when write-back is off.
	Field string
	// Written counts the NetBox devices whose field holds a WUG device id.
	Written int
	// WrittenVMs counts the NetBox virtual machines whose field holds one.
	WrittenVMs int
}

// writebackOf counts the NetBox devices and virtual machines the export
// wrote a WUG device id into, as the simulated NetBox holds them.
func writebackOf(conn models.WUGConnection, inv netboxsim.Inventory) demoWriteback {
	if !conn.NetBoxWriteback {
		return demoWriteback{}
	}
	wb := demoWriteback{Field: conn.NetBoxCustomField}
	for _, d := range inv.Devices {
		if v, ok := d.CustomFields[wb.Field].(string); ok && v != "" {
			wb.Written++
		}
	}
	for _, vm := range inv.VirtualMachines {
		if v, ok := vm.CustomFields[wb.Field].(string); ok && v != "" {
			wb.WrittenVMs++
		}
	}
	return wb
}

func (wb demoWriteback) write(w io.Writer) {
	if wb.Field == "" {
		return
	}
	fmt.Fprintf(w, "NetBox write-back: %s written on %d devices and %d virtual machines (one bulk PATCH per batch; its webhooks cost no WUG call)\n",
		wb.Field, wb.Written, wb.WrittenVMs)
}
