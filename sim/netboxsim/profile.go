package netboxsim

// profile switches the version drift of reference §0.
type profile struct {
	// version is the API-Version header ("4.4"); full is netbox-version.
	version string
	full    string
	// roleDepth adds _depth to nested roles (4.3+); nestedCounts adds
	// device_count/virtualmachine_count to nested roles and platforms and
	// _depth to platforms (4.4+).
	roleDepth    bool
	nestedCounts bool
	// owner adds the 4.5 "owner" field to devices.
	owner bool
	// webhookModel and webhookObjectType select the body keys (4.4 has both).
	webhookModel      bool
	webhookObjectType bool
	// v2Tokens accepts "Bearer nbt_…" and words errors the 4.5 way.
	v2Tokens bool
	// tagIDFilter and locationSlugFilter exist from 4.3.
	tagIDFilter        bool
	locationSlugFilter bool
	// dropUnknownCustomFields: from 4.4.10 NetBox drops custom field data
	// for fields it does not know instead of refusing the write with 400
	// "Unknown field name" (netbox#21049, commit bc26529be).
	dropUnknownCustomFields bool
}

func profileFor(version string) profile {
	switch version {
	case Version42:
		return profile{version: "4.2", full: "4.2.9", webhookModel: true}
	case Version45:
		return profile{
			version: "4.5", full: "4.5.4", roleDepth: true, nestedCounts: true, owner: true,
			webhookObjectType: true, v2Tokens: true, tagIDFilter: true, locationSlugFilter: true,
			dropUnknownCustomFields: true,
		}
	default:
		// 4.4.9 is the last 4.4 release that refuses unknown custom fields.
		return profile{
			version: "4.4", full: "4.4.9", roleDepth: true, nestedCounts: true,
			webhookModel: true, webhookObjectType: true, tagIDFilter: true, locationSlugFilter: true,
		}
	}
}
