package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"time"
)

// Objects is a flat namespace of whole objects: the little of a bucket
// that Remote needs. Names are slash-separated paths such as
// "ac.v1/3f/3f2a…". Package blobstore implements it over any bucket
// gocloud.dev/blob opens; the cache knows nothing of buckets.
type Objects interface {
	// Read returns the object's bytes, or an error wrapping
	// fs.ErrNotExist when there is no such object.
	Read(ctx context.Context, name string) ([]byte, error)
	// Create writes a new object, create-only: an error wrapping
	// ErrExists when name exists already (the existing object stays).
	Create(ctx context.Context, name string, data []byte) error
	// Exists reports whether name exists.
	Exists(ctx context.Context, name string) (bool, error)
	// Delete removes name; a missing object is not an error.
	Delete(ctx context.Context, name string) error
	// List returns up to limit names that start with prefix, in order.
	List(ctx context.Context, prefix string, limit int) ([]string, error)
	// Close releases the connection.
	Close() error
}

// Remote is a Backend over a shared bucket with a local Store in front of
// it. The layout of the bucket is the layout of the directory (ac.v1/ and
// cas.v1/, two hex digits of sharding), so one verifier serves both.
//
// Reads go to the local store first; a remote hit is verified exactly as
// a local one (a damaged remote object is deleted, so that it is
// recomputed) and then kept locally, so a second walk on the same machine
// reads no object. Writes go to the bucket first, create-only, then to the
// local store: a key some other shard published first is not overwritten,
// and Put returns ErrExists.
type Remote struct {
	obj      Objects
	local    *Store
	location string
	timeout  time.Duration

	hits, misses, corrupt, writes, errs atomic.Int64
}

// RemoteTimeout bounds one object operation (the bucket's client retries
// within it).
const RemoteTimeout = 2 * time.Minute

// NewRemote returns the Backend of obj with local as its read-through
// cache. location names the bucket in messages and must hold no
// credentials. The Remote owns both: Close closes them.
func NewRemote(obj Objects, local *Store, location string) *Remote {
	return &Remote{obj: obj, local: local, location: location, timeout: RemoteTimeout}
}

// Location implements Backend.
func (r *Remote) Location() string { return r.location }

// Local returns the local read-through store.
func (r *Remote) Local() *Store { return r.local }

// Stats implements Backend. Hits count local and remote hits alike.
func (r *Remote) Stats() Stats {
	return Stats{Hits: r.hits.Load(), Misses: r.misses.Load(), Corrupt: r.corrupt.Load(), Writes: r.writes.Load(), Errors: r.errs.Load()}
}

// Close implements Backend.
func (r *Remote) Close() error {
	return errors.Join(r.obj.Close(), r.local.Close())
}

func (r *Remote) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), r.timeout)
}

func objectName(kind string, d [32]byte) string {
	h := hex.EncodeToString(d[:])
	return kind + "/" + h[:2] + "/" + h
}

// remoteError names the bucket in an error of its client.
func (r *Remote) remoteError(what string, err error) error {
	return fmt.Errorf("cache %s: %s: %w", r.location, what, err)
}

// Lookup implements Backend.
func (r *Remote) Lookup(key [32]byte) (Entry, bool, error) {
	if e, ok := r.local.Get(key); ok {
		r.hits.Add(1)
		return e, true, nil
	}
	ctx, cancel := r.ctx()
	defer cancel()
	name := objectName(acDir, key)
	raw, err := r.obj.Read(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		r.misses.Add(1)
		return Entry{}, false, nil
	}
	if err != nil {
		r.errs.Add(1)
		return Entry{}, false, r.remoteError("reading "+name, err)
	}
	e, inline, err := decodeEntry(raw)
	if err == nil && inline && sha256.Sum256(e.Data) != e.Result {
		err = errBadEntry
	}
	if err == nil && !inline {
		data, ok, berr := r.blob(ctx, e.Result)
		if berr != nil {
			r.errs.Add(1)
			return Entry{}, false, berr
		}
		if !ok || int64(len(data)) != e.Size {
			err = errBadEntry
		}
		e.Data = data
	}
	if err != nil {
		r.corrupt.Add(1)
		r.misses.Add(1)
		_ = r.obj.Delete(ctx, name) // recomputed by whoever needs it next
		return Entry{}, false, nil
	}
	// Keep it locally; a local entry that beat us to it is as good.
	if lerr := r.local.putRaw(key, raw); lerr != nil && !errors.Is(lerr, ErrExists) {
		r.errs.Add(1)
	}
	r.hits.Add(1)
	return e, true, nil
}

// Get is Lookup for callers that take an unreadable bucket for a miss.
func (r *Remote) Get(key [32]byte) (Entry, bool) {
	e, ok, _ := r.Lookup(key)
	return e, ok
}

// blob returns the verified CAS blob d, locally or from the bucket (then
// kept locally). A damaged remote blob is deleted and is a miss.
func (r *Remote) blob(ctx context.Context, d [32]byte) ([]byte, bool, error) {
	if data, ok := r.local.GetBlob(d); ok {
		return data, true, nil
	}
	name := objectName(casDir, d)
	data, err := r.obj.Read(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, r.remoteError("reading "+name, err)
	}
	if sha256.Sum256(data) != d {
		r.corrupt.Add(1)
		_ = r.obj.Delete(ctx, name)
		return nil, false, nil
	}
	_, _ = r.local.PutBlob(data)
	return data, true, nil
}

// Put implements Backend: blob (when the result is large) and entry are
// created in the bucket, then kept locally.
func (r *Remote) Put(key [32]byte, typ string, result []byte, explain [32]byte) error {
	raw, inline := newEntry(typ, result, explain)
	ctx, cancel := r.ctx()
	defer cancel()
	if !inline {
		if _, err := r.putBlob(ctx, result); err != nil {
			return err
		}
	}
	name := objectName(acDir, key)
	if err := r.obj.Create(ctx, name, raw); err != nil {
		if errors.Is(err, ErrExists) {
			return ErrExists
		}
		return r.remoteError("writing "+name, err)
	}
	r.writes.Add(1)
	if !inline {
		_, _ = r.local.PutBlob(result)
	}
	_ = r.local.putRaw(key, raw) // the local copy is only an accelerator
	return nil
}

// PutBlob implements Backend.
func (r *Remote) PutBlob(data []byte) ([32]byte, error) {
	ctx, cancel := r.ctx()
	defer cancel()
	d, err := r.putBlob(ctx, data)
	if err == nil {
		_, _ = r.local.PutBlob(data)
	}
	return d, err
}

func (r *Remote) putBlob(ctx context.Context, data []byte) ([32]byte, error) {
	d := sha256.Sum256(data)
	name := objectName(casDir, d)
	if err := r.obj.Create(ctx, name, data); err != nil && !errors.Is(err, ErrExists) {
		return d, r.remoteError("writing "+name, err)
	}
	r.writes.Add(1)
	return d, nil
}

// GetBlob implements Backend.
func (r *Remote) GetBlob(d [32]byte) ([]byte, bool) {
	ctx, cancel := r.ctx()
	defer cancel()
	data, ok, _ := r.blob(ctx, d)
	return data, ok
}

// HasBlob implements Backend.
func (r *Remote) HasBlob(d [32]byte) bool {
	if r.local.HasBlob(d) {
		return true
	}
	ctx, cancel := r.ctx()
	defer cancel()
	ok, _ := r.obj.Exists(ctx, objectName(casDir, d))
	return ok
}

// Has implements Backend.
func (r *Remote) Has(key [32]byte) bool {
	if r.local.Has(key) {
		return true
	}
	ctx, cancel := r.ctx()
	defer cancel()
	ok, _ := r.obj.Exists(ctx, objectName(acDir, key))
	return ok
}

// FindKeys implements Backend, over the bucket's entries.
func (r *Remote) FindKeys(prefix string, limit int) ([]string, error) {
	prefix, err := keyPrefix(prefix)
	if err != nil {
		return nil, err
	}
	ctx, cancel := r.ctx()
	defer cancel()
	names, err := r.obj.List(ctx, acDir+"/"+prefix[:2]+"/"+prefix, limit)
	if err != nil {
		return nil, r.remoteError("listing keys", err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, n[strings.LastIndexByte(n, '/')+1:])
	}
	return out, nil
}
