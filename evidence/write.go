package evidence

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"time"
)

// Written says where a pack went.
type Written struct {
	// Where is the pack's directory, or its S3 URL with the version id.
	Where string
	// S3 is set for a pack written to S3: its object and version.
	S3 *S3
	// RetainUntil is the object's COMPLIANCE retention (S3 only).
	RetainUntil time.Time
	// TarSHA256 is the sha256 of the tar object (S3 only).
	TarSHA256 string
}

// Write puts p at dest: a directory DEST/<pack name>/, or for an
// s3://bucket/prefix URL the object prefix/<pack name>.tar, locked in
// COMPLIANCE mode for retention from now.
func Write(ctx context.Context, p *Pack, dest string, retention time.Duration, now time.Time) (*Written, error) {
	m, err := ParseManifest(p.Files[ManifestName])
	if err != nil {
		return nil, fmt.Errorf("evidence: %s: %w", ManifestName, err)
	}
	if !IsS3URL(dest) {
		dir := filepath.Join(dest, m.Name())
		if err := p.WriteDir(dir); err != nil {
			return nil, err
		}
		return &Written{Where: dir}, nil
	}
	if retention <= 0 {
		return nil, fmt.Errorf("evidence: no retention for %s: give --retention-days (the stack's audit bucket records none)", dest)
	}
	loc, err := ParseS3URL(dest)
	if err != nil {
		return nil, fmt.Errorf("evidence: --evidence: %w", err)
	}
	if loc.VersionID != "" {
		return nil, fmt.Errorf("evidence: --evidence %s: a destination takes no versionId", dest)
	}
	tarball, err := p.Tar()
	if err != nil {
		return nil, err
	}
	key := path.Join(loc.Key, m.Name()+".tar")
	until := now.UTC().Add(retention).Truncate(time.Second).Add(time.Second)
	ver, err := loc.PutLocked(ctx, key, tarball, until)
	if err != nil {
		return nil, err
	}
	obj := *loc
	obj.Key, obj.VersionID = key, ver
	return &Written{Where: obj.URL(), S3: &obj, RetainUntil: until, TarSHA256: Digest(tarball)}, nil
}

// Open reads a pack from a directory, a tar file or an s3:// URL (the
// object, versionId optional).
func Open(ctx context.Context, src string) (*Pack, error) {
	if !IsS3URL(src) {
		return Load(src)
	}
	loc, err := ParseS3URL(src)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	b, err := loc.Get(ctx)
	if err != nil {
		return nil, err
	}
	return ReadTar(bytesReader(b))
}
