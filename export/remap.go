package export

import (
	"fmt"
	"net/netip"

	"github.com/wugsync/wugsync/wug"
)

// attributeOrder is the documented order of the NetBox_* attributes, as
// attributes lists them, so a template rebuilt from Fields (whose
// attributes are a map) sends them in the same order as a fresh mapping.
var attributeOrder = []string{
	AttributeNetBoxID, AttributeNetBoxURL, AttributeNetBoxSite, AttributeNetBoxLocation,
	AttributeNetBoxRack, AttributeNetBoxRole, AttributeNetBoxDeviceType, AttributeNetBoxPlatform,
	AttributeNetBoxSerial, AttributeNetBoxAssetTag, AttributeNetBoxTenant, AttributeNetBoxStatus,
	AttributeNetBoxObjectType, AttributeNetBoxCluster, AttributeNetBoxTags,
}

// MappedFromFields rebuilds what MapObject returned for ref from the Fields
// it mapped (as a plan stores them): the same template, Fields and
// address, with no NetBox object at hand. A batch writes what its plan
// decided this way instead of reading NetBox again.
func MappedFromFields(ref ObjectRef, f Fields) (Mapped, error) {
	addr, err := netip.ParseAddr(f.IPAddress)
	if err != nil {
		return Mapped{}, fmt.Errorf("rebuild the mapping of %s: address %q: %w", ref, f.IPAddress, err)
	}
	attrs := make([]wug.NameValue, 0, len(f.Attributes))
	for _, name := range attributeOrder {
		if v, ok := f.Attributes[name]; ok && v != "" {
			attrs = append(attrs, wug.NameValue{Name: name, Value: v})
		}
	}
	return Mapped{Template: templateFor(ref, f, attrs), Fields: f, Address: addr}, nil
}
