// Package netbox is a client for the NetBox REST API (versions 4.1 to 4.6)
// and the types of the webhooks that NetBox event rules send.
//
// Reading: the client is written against the drift between NetBox versions
// rather than one schema: it decodes leniently (unknown keys ignored, nested
// counts and _depth optional, nullable names, custom fields of any JSON
// type), picks the token scheme from the token's form, pages with a keyset
// on id so that a listing neither skips nor repeats objects under
// concurrent edits, splits long id lists, and turns NetBox's 400 for an
// unknown filter value into a configuration error that names the filter.
// Devices and virtual machines share one filter and one paging path.
// Every NetBox object id is an int64, as wugsync's rows and plans hold it.
//
// Writing: UpdateCustomFields writes custom field values with NetBox's bulk
// update (one PATCH per object type and batch), AddJournalEntries adds
// journal entries in one POST, and the Ensure functions create or complete
// the custom field, custom link, webhook and event rule a setup needs,
// idempotently. NetBox's refusals become typed errors: *PermissionError
// (ErrPermission) names the missing permission, *UnknownCustomFieldError
// (ErrUnknownCustomField) the custom field NetBox does not know — whether
// it refused it or, as since 4.4.10, dropped it silently — and
// *ValidationError (ErrInvalid) carries NetBox's messages. ProbePermissions
// tests a token's rights without changing anything.
package netbox
