package netboxsim

// Choice labels, as NetBox's ChoiceSets define them.
var (
	deviceStatuses = map[string]string{
		"offline": "Offline", "active": "Active", "planned": "Planned", "staged": "Staged",
		"failed": "Failed", "inventory": "Inventory", "decommissioning": "Decommissioning",
	}
	vmStatuses = map[string]string{
		"offline": "Offline", "active": "Active", "planned": "Planned", "staged": "Staged",
		"failed": "Failed", "decommissioning": "Decommissioning", "paused": "Paused",
	}
	siteStatuses = map[string]string{
		"planned": "Planned", "staging": "Staging", "active": "Active",
		"decommissioning": "Decommissioning", "retired": "Retired",
	}
	ipStatuses = map[string]string{
		"active": "Active", "reserved": "Reserved", "deprecated": "Deprecated", "dhcp": "DHCP", "slaac": "SLAAC",
	}
	ipRoles = map[string]string{
		"loopback": "Loopback", "secondary": "Secondary", "anycast": "Anycast", "vip": "VIP",
		"vrrp": "VRRP", "hsrp": "HSRP", "glbp": "GLBP", "carp": "CARP",
	}
	faces    = map[string]string{"front": "Front", "rear": "Rear"}
	airflows = map[string]string{
		"front-to-rear": "Front to rear", "rear-to-front": "Rear to front", "left-to-right": "Left to right",
		"right-to-left": "Right to left", "side-to-rear": "Side to rear", "passive": "Passive", "mixed": "Mixed",
	}
)

// choice renders {"value", "label"}, or null for the empty choice
// (ChoiceField.to_representation returns None for ”).
func choice(value string, labels map[string]string) any {
	if value == "" {
		return nil
	}
	return obj{{"value", value}, {"label", labels[value]}}
}
