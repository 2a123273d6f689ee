// Package process builds the parts every long-running wugsync role shares —
// the Redis connection (or an embedded one), the database with its schema
// check, the password sealer, the task enqueuer, the metrics registry, the
// HTTP serving loop and the health endpoints of roles without an API — so the
// subcommands in cmd/wugsync stay wiring only and agree on every detail.
package process
