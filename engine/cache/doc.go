// Package cache owns ccw's on-disk cache: an action cache (ac.v1/) that maps
// a cache key to a small entry naming its result, and a content-addressed
// store (cas.v1/) that maps a sha256 digest to bytes. Both are sharded by the
// first two hex digits of the digest.
//
// Every file is written to a unique temporary file in its final directory,
// optionally fsynced, and renamed into place, so nothing is ever published
// half-written and a process killed at any moment loses at most the entry it
// was writing. A hit counts only when the entry decodes, its checksum holds,
// and the result it names exists and hashes to its digest; anything else is
// a miss (and the broken file is removed), never an error that stops a run.
//
// Small results are kept inline in the action entry (one file read per hit);
// larger ones live in the CAS. The package knows nothing about stages, HCL or
// how keys are derived (engine/cachekey).
package cache
