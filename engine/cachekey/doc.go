// Package cachekey derives content-addressed cache keys the BuildKit way: a
// sha256 over a typed, versioned, canonical encoding of named parts (the
// stage's versioned type string, the key-schema version, the evaluated
// configuration as a cty.Value).
//
// The encoding of cty values is our own binary form: every value is tagged
// with its kind, strings are length-prefixed, object attributes and map keys
// are sorted, so equal values always hash equally and different values never
// collide by concatenation. Capsule values (resources such as a sandbox or a
// model) contribute their Identity(), never themselves. Marked values (for
// example sensitive ones) and unknown values are refused.
//
// A Hasher can also record what went into a key (an explain record) so that
// `ccw cache explain KEY` can show it. This package knows nothing about
// where keys are stored; see engine/cache.
package cachekey
