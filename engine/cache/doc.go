// Package cache owns ccw's on-disk cache: an action cache (ac.v1/) that maps
// a cache key to a small entry naming its result, and a content-addressed
// store (cas.v1/) that maps a sha256 digest to bytes. Both are sharded by the
// first two hex digits of the digest.
//
// Every file is written to a unique temporary file in its final directory,
// optionally fsynced, and hard-linked into place (create-only: a file that
// exists is left alone and Put reports ErrExists), so nothing is ever
// published half-written, a process killed at any moment loses at most the
// entry it was writing, and processes sharing one directory never replace
// each other's entries. A hit counts only when the entry decodes, its checksum holds,
// and the result it names exists and hashes to its digest; anything else is
// a miss (and the broken file is removed), never an error that stops a run.
//
// Backend is what the engine uses: *Store (a directory) or *Remote (the
// same layout in a shared bucket, behind a local Store that serves repeated
// reads), with the same create-only writes and verified hits; Objects is
// the little of a bucket Remote needs (engine/cache/blobstore adapts
// gocloud.dev/blob to it, so this package imports no cloud SDK).
//
// Small results are kept inline in the action entry (one file read per hit);
// larger ones live in the CAS. The package knows nothing about stages, HCL or
// how keys are derived (engine/cachekey).
package cache
