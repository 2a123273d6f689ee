package wugsim

import "net/http"

// routes is the simulated part of the WUG API v1. Anything else is 404, or 405 when the path
// exists under other verbs, as on a real server; the seed plugin's invented endpoints
// (/scan/*, POST /devices, PUT /devices/{id}, /devices/{id}/metadata, POST /device-groups/-,
// PUT /device-groups/{g}/devices/{d}, POST …/newDevice…) all fail here.
func (s *Server) routes() *router {
	rr := &router{}
	const v1 = "/api/v1"
	rr.add(http.MethodPost, v1+"/token", s.handleToken).public = true

	rr.add(http.MethodPatch, v1+"/devices/-", s.handleBulkDevices)
	rr.add(http.MethodGet, v1+"/devices/{deviceId}", s.handleGetDevice)
	rr.add(http.MethodDelete, v1+"/devices/{deviceId}", s.handleDeleteDevice)
	rr.add(http.MethodGet, v1+"/devices/{deviceId}/status", s.handleDeviceStatus)
	rr.add(http.MethodGet, v1+"/devices/{deviceId}/properties", s.handleGetProperties)
	rr.add(http.MethodPut, v1+"/devices/{deviceId}/properties", s.handlePutProperties)
	rr.add(http.MethodPatch, v1+"/devices/-/properties", s.handleBatchProperties)
	rr.add(http.MethodGet, v1+"/devices/{deviceId}/config/template", s.handleGetTemplate)
	rr.add(http.MethodPatch, v1+"/devices/-/config/template", s.handleApplyTemplates)
	rr.add(http.MethodPut, v1+"/devices/{deviceId}/config/maintenance", s.handlePutMaintenance)
	rr.add(http.MethodPatch, v1+"/devices/-/config/maintenance", s.handleBatchMaintenance)
	rr.add(http.MethodGet, v1+"/devices/{deviceId}/config/polling", s.handleGetPolling)

	rr.add(http.MethodGet, v1+"/devices/{deviceId}/interfaces/-", s.handleListInterfaces)
	rr.add(http.MethodGet, v1+"/devices/{deviceId}/interfaces/default", s.handleDefaultInterface)
	rr.add(http.MethodGet, v1+"/devices/{deviceId}/interfaces/{interfaceId}", s.handleGetInterface)
	rr.add(http.MethodPut, v1+"/devices/{deviceId}/interfaces/{interfaceId}", s.handlePutInterface)

	rr.add(http.MethodGet, v1+"/devices/{deviceId}/attributes/-", s.handleListAttributes)
	rr.add(http.MethodPost, v1+"/devices/{deviceId}/attributes/-", s.handleAddAttribute)
	rr.add(http.MethodDelete, v1+"/devices/{deviceId}/attributes/-", s.handleDeleteAttributes)
	rr.add(http.MethodPatch, v1+"/devices/{deviceId}/attributes/-", s.handleBatchAttributes)
	rr.add(http.MethodGet, v1+"/devices/{deviceId}/attributes/{attributeId}", s.handleGetAttribute)
	rr.add(http.MethodPut, v1+"/devices/{deviceId}/attributes/{attributeId}", s.handlePutAttribute)
	rr.add(http.MethodDelete, v1+"/devices/{deviceId}/attributes/{attributeId}", s.handleDeleteAttribute)

	rr.add(http.MethodGet, v1+"/devices/{deviceId}/group/-", s.handleDeviceGroups)
	rr.add(http.MethodPut, v1+"/devices/{deviceId}/group/-", s.handleAssignDeviceGroup)
	rr.add(http.MethodPatch, v1+"/devices/{deviceId}/group/-", s.handlePatchDeviceGroups)
	rr.add(http.MethodDelete, v1+"/devices/{deviceId}/group/{groupId}", s.handleRemoveDeviceGroup)
	rr.add(http.MethodGet, v1+"/devices/{deviceId}/group/{groupId}/is-member", s.handleIsMember)

	rr.add(http.MethodGet, v1+"/device-groups/-", s.handleListGroups)
	rr.add(http.MethodGet, v1+"/device-groups/{groupId}", s.handleGetGroup)
	rr.add(http.MethodDelete, v1+"/device-groups/{groupId}", s.handleDeleteGroup)
	rr.add(http.MethodGet, v1+"/device-groups/{groupId}/children", s.handleGroupChildren)
	rr.add(http.MethodPost, v1+"/device-groups/{groupId}/child", s.handleCreateChild)
	rr.add(http.MethodPut, v1+"/device-groups/{groupId}/definition", s.handleUpdateGroup)
	rr.add(http.MethodGet, v1+"/device-groups/{groupId}/devices/-", s.handleSearchDevices)
	rr.add(http.MethodGet, v1+"/device-groups/{groupId}/devices", s.handleSearchDevices) // deprecated twin
	rr.add(http.MethodPost, v1+"/device-groups/{groupId}/devices/-", s.handleAddMembers)
	rr.add(http.MethodDelete, v1+"/device-groups/{groupId}/devices/-", s.handleRemoveMembers)
	rr.add(http.MethodDelete, v1+"/device-groups/{groupId}/devices/{deviceId}", s.handleRemoveMember)
	rr.add(http.MethodGet, v1+"/device-groups/{groupId}/devices/-/config/template", s.handleGroupTemplates)
	rr.add(http.MethodPut, v1+"/device-groups/{groupId}/newDevice", s.handleNewDevice)
	rr.add(http.MethodPatch, v1+"/device-groups/{groupId}/newDevice", s.handleBulkNewDevice)

	rr.add(http.MethodGet, v1+"/device-scan/-/status", s.handleListScans)
	rr.add(http.MethodGet, v1+"/device-scan/{scanId}/status", s.handleScanStatus)
	rr.add(http.MethodGet, v1+"/device-scan/{scanId}/devices", s.handleScanDevices)
	rr.add(http.MethodPut, v1+"/device-scan/{scanId}/cancel", s.handleCancelScan)

	rr.add(http.MethodGet, v1+"/product/version", s.handleProductVersion)
	rr.add(http.MethodGet, v1+"/product/api", s.handleProductAPI)
	rr.add(http.MethodGet, v1+"/product/whoAmI", s.handleWhoAmI)
	rr.add(http.MethodGet, v1+"/product/timezone", s.handleTimezone)
	rr.add(http.MethodGet, v1+"/product/installationId", s.handleInstallationID)
	rr.add(http.MethodGet, v1+"/errors/{errorType}", s.handleTestError)
	return rr
}

// Routes returns the names of every simulated route, for fault selectors and stats.
func (s *Server) Routes() []string {
	out := make([]string, 0, len(s.router.routes))
	for _, rt := range s.router.routes {
		out = append(out, rt.Name())
	}
	return out
}
