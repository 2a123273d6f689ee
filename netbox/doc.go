// Package netbox is a read-only client for the NetBox REST API (versions 4.1
// to 4.6) and the types of the webhooks that NetBox event rules send.
//
// The client is written against the drift between NetBox versions rather than
// one schema: it decodes leniently (unknown keys ignored, nested counts and
// _depth optional, nullable names, custom fields of any JSON type), picks the
// token scheme from the token's form, pages with a keyset on id so that a
// listing neither skips nor repeats devices under concurrent edits, and turns
// NetBox's 400 for an unknown filter value into a configuration error that
// names the filter.
package netbox
