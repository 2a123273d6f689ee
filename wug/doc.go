// Package wug is a client for the WhatsUp Gold (WUG) REST API v1, limited to what the
// NetBox→WUG export needs: applying device templates, finding and listing devices, updating
// their properties, interfaces and attributes, managing group membership, maintenance mode,
// deletion, discovery scans and the product version.
//
// The wire format follows reference/wug-api.md. Real servers vary between versions, so the
// decoders are lenient: ids may be strings or numbers, booleans and numbers may be strings,
// results may or may not be wrapped in {"data": …}, and keys match in any case.
//
// One Client holds one OAuth2 token for its connection and is safe for concurrent use by many
// goroutines. It refreshes the token a few minutes before expiry, refreshes once and retries
// once when the server answers 401, and falls back to a new password grant when the refresh
// fails. It never retries anything else: 5xx and 429 answers come back as typed errors
// (see ErrServerError, ErrRateLimited) so that the job queue decides when to try again.
package wug
