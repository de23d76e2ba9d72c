package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/rampart-dev/rampart/components/audit"
)

// Run is one check run's material for a pack.
type Run struct {
	Stack, Profile string
	// Generated is the assessment's time.
	Generated time.Time
	Tool      Tool
	// Reports are the rendered reports by pack file name (OSCALName,
	// HTMLName, JSONName, VerifyName when given): the renderers' bytes.
	Reports map[string][]byte
	// State is the state export's digest (StateFromExport).
	State StateDigest
}

// Build signs run's files into a pack.
func Build(ctx context.Context, run Run, s Signer) (*Pack, error) {
	files := map[string][]byte{}
	for n, b := range run.Reports {
		files[n] = b
	}
	st, err := json.MarshalIndent(run.State, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("evidence: encode state digest: %w", err)
	}
	files[StateName] = append(st, '\n')
	m, err := NewManifest(run.Stack, run.Profile, run.Generated, run.Tool, files)
	if err != nil {
		return nil, err
	}
	mb, err := m.Bytes()
	if err != nil {
		return nil, err
	}
	sig, pub, err := s.Sign(ctx, mb)
	if err != nil {
		return nil, fmt.Errorf("evidence: sign the manifest: %w", err)
	}
	sb, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("evidence: encode signature: %w", err)
	}
	files[ManifestName] = mb
	files[SignatureName] = append(sb, '\n')
	files[PublicKeyName] = pub
	p := &Pack{Files: files}
	// A pack that does not verify is never written.
	if err := Verify(p, nil).Err(); err != nil {
		return nil, fmt.Errorf("evidence: the pack just signed does not verify (is the key's public half the one that signs?): %w", err)
	}
	return p, nil
}

// StateFromExport is the digest of a state export's deployment JSON (as
// `pulumi stack export` printed it), whitespace removed.
func StateFromExport(stack string, version int, deployment json.RawMessage) (StateDigest, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, deployment); err != nil {
		return StateDigest{}, fmt.Errorf("evidence: state export of %s: %w", stack, err)
	}
	var dep apitype.DeploymentV3
	if err := json.Unmarshal(deployment, &dep); err != nil {
		return StateDigest{}, fmt.Errorf("evidence: state export of %s: %w", stack, err)
	}
	return StateDigest{Stack: stack, DeploymentVersion: version, SHA256: Digest(b.Bytes()), Size: int64(b.Len()), Resources: len(dep.Resources)}, nil
}

// AuditBucket is the stack's WORM audit bucket as its state records it
// (the rampart:audit:Audit component's outputs).
type AuditBucket struct {
	Bucket        string
	RetentionDays int
	LockMode      string
}

// AuditBucketFromExport finds the audit component in a deployment; ok is
// false when the stack has none.
func AuditBucketFromExport(deployment json.RawMessage) (AuditBucket, bool) {
	var dep apitype.DeploymentV3
	if json.Unmarshal(deployment, &dep) != nil {
		return AuditBucket{}, false
	}
	for _, r := range dep.Resources {
		if string(r.Type) != audit.TypeToken {
			continue
		}
		a := AuditBucket{}
		a.Bucket, _ = r.Outputs["bucketName"].(string)
		a.LockMode, _ = r.Outputs["lockMode"].(string)
		if d, ok := r.Outputs["retentionDays"].(float64); ok {
			a.RetentionDays = int(d)
		}
		return a, a.RetentionDays > 0
	}
	return AuditBucket{}, false
}
