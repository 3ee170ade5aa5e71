// Package blobstore opens ccw's cache by location: a directory on this
// machine (a cache.Store) or a bucket that gocloud.dev/blob opens by URL —
// s3:// (AWS, and S3-compatible servers such as MinIO, Ceph or versitygw
// with ?endpoint=…&use_path_style=true), gs://, azblob://, file:// and
// mem:// — as a cache.Remote with a local directory in front of it.
//
// It owns the adapter from a gocloud bucket to cache.Objects (create-only
// writes through the If-None-Match precondition) and the redaction of
// cache URLs. Credentials come from each provider's usual environment
// (AWS_ACCESS_KEY_ID, AWS_PROFILE, GOOGLE_APPLICATION_CREDENTIALS,
// AZURE_STORAGE_KEY, …) and never from ccw: they are never in a URL ccw
// prints, an error, or an output. The layout, verification and the
// read-through policy belong to package cache.
package blobstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/memblob"   // mem://
	_ "gocloud.dev/blob/s3blob"    // s3://
	"gocloud.dev/gcerrors"

	"github.com/ccw-dev/ccw/engine/cache"
)

// Options tune Open.
type Options struct {
	// Local is the directory of the read-through cache in front of a
	// bucket; empty means a directory under LocalRoot named after the
	// bucket URL. Unused for a directory location.
	Local string
	// LocalRoot is where read-through caches live when Local is empty.
	LocalRoot string
	// Cache are the options of the local store (the directory itself, or
	// the read-through cache of a bucket).
	Cache cache.Options
}

// IsURL reports whether location names a bucket (a URL with a scheme
// gocloud opens) rather than a directory.
func IsURL(location string) bool {
	u, err := url.Parse(location)
	if err != nil || len(u.Scheme) < 2 { // a Windows drive letter is not a scheme
		return false
	}
	return blob.DefaultURLMux().ValidBucketScheme(u.Scheme)
}

// Open opens the cache at location: a directory, or a bucket URL.
func Open(ctx context.Context, location string, opt Options) (cache.Backend, error) {
	if !IsURL(location) {
		if strings.Contains(location, "://") {
			return nil, fmt.Errorf("cache %s: unknown URL scheme (want a directory, or s3://, gs://, azblob://, file://, mem://)", Redact(location))
		}
		return cache.Open(location, opt.Cache)
	}
	shown := Redact(location)
	b, err := blob.OpenBucket(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %s", shown, scrub(err.Error(), location))
	}
	if ok, err := b.IsAccessible(ctx); err != nil || !ok {
		b.Close()
		why := "the bucket does not exist or these credentials cannot read it"
		if err != nil {
			why = scrub(err.Error(), location)
		}
		return nil, fmt.Errorf("cache %s: %s", shown, why)
	}
	dir := opt.Local
	if dir == "" {
		sum := sha256.Sum256([]byte(shown))
		dir = filepath.Join(opt.LocalRoot, "remote", hex.EncodeToString(sum[:8]))
	}
	local, err := cache.Open(dir, opt.Cache)
	if err != nil {
		b.Close()
		return nil, err
	}
	return cache.NewRemote(&objects{b: b, location: location}, local, shown), nil
}

// objects implements cache.Objects over a gocloud bucket.
type objects struct {
	b        *blob.Bucket
	location string // for scrubbing errors
}

var _ cache.Objects = (*objects)(nil)

func (o *objects) err(err error) error {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fs.ErrNotExist
	case gcerrors.FailedPrecondition:
		return cache.ErrExists
	}
	return errors.New(scrub(err.Error(), o.location))
}

// Read implements cache.Objects.
func (o *objects) Read(ctx context.Context, name string) ([]byte, error) {
	data, err := o.b.ReadAll(ctx, name)
	if err != nil {
		return nil, o.err(err)
	}
	return data, nil
}

// Create implements cache.Objects: the If-None-Match: * precondition (or
// the driver's equivalent) makes the write create-only on the server.
func (o *objects) Create(ctx context.Context, name string, data []byte) error {
	err := o.b.WriteAll(ctx, name, data, &blob.WriterOptions{IfNotExist: true, ContentType: "application/octet-stream"})
	if err != nil {
		return o.err(err)
	}
	return nil
}

// Exists implements cache.Objects.
func (o *objects) Exists(ctx context.Context, name string) (bool, error) {
	ok, err := o.b.Exists(ctx, name)
	if err != nil {
		return false, o.err(err)
	}
	return ok, nil
}

// Delete implements cache.Objects.
func (o *objects) Delete(ctx context.Context, name string) error {
	err := o.b.Delete(ctx, name)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return o.err(err)
	}
	return nil
}

// List implements cache.Objects.
func (o *objects) List(ctx context.Context, prefix string, limit int) ([]string, error) {
	it := o.b.List(&blob.ListOptions{Prefix: prefix})
	var out []string
	for len(out) < limit {
		obj, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, o.err(err)
		}
		if !obj.IsDir {
			out = append(out, obj.Key)
		}
	}
	return out, nil
}

// Close implements cache.Objects.
func (o *objects) Close() error { return o.b.Close() }

// secretParam matches the names of URL query parameters that may carry a
// credential (Azure SAS tokens, signed URLs, keys).
var secretParam = regexp.MustCompile(`(?i)(key|secret|token|password|passwd|sig|signature|credential|session)`)

// Redact returns location fit to print: no user information, and no
// value of a query parameter whose name suggests a credential.
func Redact(location string) string {
	u, err := url.Parse(location)
	if err != nil {
		return "(unparsable cache URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	q := u.Query()
	changed := false
	for k := range q {
		if secretParam.MatchString(k) {
			q.Set(k, "REDACTED")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// scrub removes from a message every credential location carries (its
// password and the values of secret-looking parameters), in the forms a
// client library may print them.
func scrub(msg, location string) string {
	u, err := url.Parse(location)
	if err != nil {
		return msg
	}
	var secrets []string
	if u.User != nil {
		secrets = append(secrets, u.User.Username())
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
	}
	for k, vs := range u.Query() {
		if secretParam.MatchString(k) {
			secrets = append(secrets, vs...)
		}
	}
	for _, s := range secrets {
		if len(s) < 3 {
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			msg = strings.ReplaceAll(msg, form, "REDACTED")
		}
	}
	return msg
}
