package wugtest

// SandboxCases are the cases that change WUG, in the order they run. All but the two token
// cases work inside the sandbox (Runner.OpenSandbox); the token cases need Target.Controls.
func SandboxCases() []Case {
	return []Case{
		{
			Name:     "token_refresh",
			Promise:  "after a 401 the client refreshes the token with the refresh grant once and retries the call",
			needs:    needs("RefreshGrant", func(f Features) Support { return f.RefreshGrant }),
			controls: "a real WUG's tokens cannot be expired on demand",
			fix:      "check the refresh path in wug/auth.go and wug/transport.go against reference/wug-api.md §2.3",
			run:      checkTokenRefresh,
		},
		{
			Name:     "bad_credentials",
			Promise:  "a refused login is ErrBadCredentials after one token request, and the error never holds the password",
			controls: "a wrong password may lock a real WUG account",
			fix:      "check the token error handling in wug/auth.go and wug/errors.go",
			run:      checkBadCredentials,
		},
		{
			Name:    "templates",
			Promise: "ApplyTemplates sends one request and maps each device id to its template by templateId; a template the client can see is invalid is reported failed without being sent",
			needs:   needs("TemplateGroupByName", func(f Features) Support { return f.TemplateGroupByName }),
			sandbox: true,
			fix:     "the client must read data.idMap[].resultId by templateId (reference/wug-api.md §4.1)",
			run:     checkTemplates,
		},
		{
			Name:    "template_rejection",
			Promise: "a template WUG refuses fails under its own templateId, and the templates around it keep their own device ids",
			needs:   needs("TemplateRejection", func(f Features) Support { return f.TemplateRejection }),
			sandbox: true,
			fix:     "the client must match idMap and errors by templateId, never by position",
			run:     checkTemplateRejection,
		},
		{
			Name:    "template_group_path",
			Promise: "a template's group given as name plus parents from My Network places the device in that group, not in an older group of the same name",
			needs:   needs("TemplateGroupPath", func(f Features) Support { return f.TemplateGroupPath }),
			sandbox: true,
			fix:     "the client must send groups[].parents starting with \"My Network\" (reference/wug-api.md §4.1)",
			run:     checkTemplateGroupPath,
		},
		{
			Name:    "template_missing_group",
			Promise: "a template naming a group WUG lacks is reported as the profile says: a warning next to the device id, or a failure without a device",
			needs: func(f Features) (Support, string) {
				if f.MissingTemplateGroup == "" {
					return Unknown, "MissingTemplateGroup"
				}
				return Supported, "MissingTemplateGroup"
			},
			sandbox: true,
			fix:     "the client must keep errors[] entries next to an idMap entry as warnings, and report a template without one as failed",
			run:     checkTemplateMissingGroup,
		},
		{
			Name:    "groups",
			Promise: "CreateChildGroup returns the new group under its parent, and ChildGroups and ListGroups show it there",
			sandbox: true,
			fix:     "check wug/groups.go against reference/wug-api.md §4.7",
			run:     checkGroups,
		},
		{
			Name:    "group_unique_names",
			Promise: "a second group with the same name under one parent is refused with ErrRejected, which the export takes as someone else's group",
			needs:   needs("UniqueGroupNames", func(f Features) Support { return f.UniqueGroupNames }),
			sandbox: true,
			fix:     "WUG's refusal must map to ErrRejected (wug/errors.go), or the export's group creation must learn the new answer",
			run:     checkGroupUniqueNames,
		},
		{
			Name:    "membership",
			Promise: "AddDevicesToGroup, MoveDevice and RemoveDevicesFromGroup change exactly the memberships asked for",
			sandbox: true,
			fix:     "check the membership calls in wug/groups.go against reference/wug-api.md §4.7",
			run:     checkMembership,
		},
		{
			Name:    "last_static_group",
			Promise: "removing a device from its last static group is refused with ErrRejected and the device keeps the group",
			needs:   needs("LastStaticGroup", func(f Features) Support { return f.LastStaticGroup }),
			sandbox: true,
			fix:     "a success:false CountedSuccessResult must be ErrRejected (wug/batch.go)",
			run:     checkLastStaticGroup,
		},
		{
			Name:    "search_in_sandbox",
			Promise: "FindDevicesByIP keeps only exact address matches, over every page of WUG's substring search",
			sandbox: true,
			fix:     "check FindDevicesByIP's filter and paging in wug/devices.go",
			run:     checkSearchInSandbox,
		},
		{
			Name:    "paging_in_sandbox",
			Promise: "ListDevices of a group yields each of its devices once, over as many pages as the page size makes",
			sandbox: true,
			fix:     "check wug/paging.go: follow nextPageId with the same query until it is empty",
			run:     checkPagingInSandbox,
		},
		{
			Name:    "attributes_upsert",
			Promise: "one PATCH with the names to delete and the attributes to add is an idempotent upsert: no duplicate, other attributes untouched",
			needs:   needs("AttributeUpsert", func(f Features) Support { return f.AttributeUpsert }),
			sandbox: true,
			fix:     "check PatchAttributes in wug/attributes.go against BulkDeviceAttributeBatch (reference/wug-api.md §4.4)",
			run:     checkAttributesUpsert,
		},
		{
			Name:    "maintenance",
			Promise: "SetMaintenance turns maintenance on and off for one device (PUT) and for many (PATCH), and WUG shows it in the device state",
			needs:   needs("MaintenanceState", func(f Features) Support { return f.MaintenanceState }),
			sandbox: true,
			fix:     "check wug/maintenance.go against reference/wug-api.md §4.6",
			run:     checkMaintenance,
		},
		{
			Name:    "delete",
			Promise: "DeleteDevice and DeleteDevices remove the devices, and searches stop finding them",
			sandbox: true,
			fix:     "check DeleteDevice and DeleteDevices in wug/devices.go against reference/wug-api.md §4.5",
			run:     checkDelete,
		},
		{
			Name:    "delete_missing",
			Promise: "a device that no longer exists is ErrNotFound for GetDevice and DeleteDevice, so a repeated delete is harmless",
			needs:   needs("MissingDeviceNotFound", func(f Features) Support { return f.MissingDeviceNotFound }),
			sandbox: true,
			fix:     "a 404 must map to ErrNotFound (wug/errors.go)",
			run:     checkDeleteMissing,
		},
		{
			Name:    "discovery_scan",
			Promise: "StartNewDeviceScan returns a scan id, ScanStatus reaches Done, the scan leaves the active list and ScanDevices names what it added to the group",
			needs: func(f Features) (Support, string) {
				switch {
				case f.DiscoveryScan == Unsupported || f.ScanCompletion == Unsupported:
					return Unsupported, "DiscoveryScan and ScanCompletion"
				case f.DiscoveryScan == Unknown:
					return Unknown, "DiscoveryScan"
				case f.ScanCompletion == Unknown:
					return Unknown, "ScanCompletion"
				}
				return Supported, "DiscoveryScan and ScanCompletion"
			},
			sandbox: true,
			fix:     "check wug/scans.go, Scan.Done in particular, against what this WUG reports (reference/wug-api.md §4.8, §9.7)",
			run:     checkDiscoveryScan,
		},
	}
}
