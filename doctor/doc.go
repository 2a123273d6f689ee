// Package doctor checks, without changing anything, what a wugsync
// deployment needs: NetBox (reachable, token, version, read rights, the
// connections' filters), each WUG connection (the read-only part of the WUG
// contract suite, wugtest.CheckReadOnly), Redis (version, maxmemory-policy
// noeviction), the database (schema current, the secret key opening every
// stored password) and the clocks of all of them. `wugsync doctor` prints
// the Report; it exits 0 only when no check failed.
//
// Some rights cannot be tested without writing: NetBox and WUG offer no
// read-only way to ask whether a token or user may create or change
// objects. Such checks are reported as not checked, saying so, never as
// passed.
package doctor
