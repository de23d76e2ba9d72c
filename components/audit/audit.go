// Package audit builds Rampart's write-once audit store: an S3 bucket with
// Object Lock in COMPLIANCE mode for a per-framework retention period,
// versioning, a bucket policy that denies version deletes and lock changes
// to all but a break-glass principal, default encryption and a lifecycle
// rule that expires old versions only after the lock. It uses the
// pulumi-aws SDK's S3 resources through the aws provider the caller passes
// (pointed at any S3 store with Object Lock: AWS, Ceph RGW, MinIO,
// versitygw). NIS2 Art. 21(2)(b); DORA Art. 12; ITSG-33 AU-9, AU-11.
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:audit:Audit"

// Audit is the component; its outputs are the compliance report's evidence.
type Audit struct {
	pulumi.ResourceState

	// BucketName is the WORM bucket's name.
	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	// LockMode is the default retention mode ("COMPLIANCE").
	LockMode pulumi.StringOutput `pulumi:"lockMode"`
	// RetentionDays is the default retention period in days.
	RetentionDays pulumi.IntOutput `pulumi:"retentionDays"`
	// Preset is the framework preset the period came from.
	Preset pulumi.StringOutput `pulumi:"preset"`
}

// NewAudit creates the audit store. Pass the aws provider for the S3 store
// in opts (pulumi.Providers(awsProvider)); every child inherits it.
func NewAudit(ctx *pulumi.Context, name string, args *AuditArgs, opts ...pulumi.ResourceOption) (*Audit, error) {
	if args == nil {
		return nil, errors.New("audit " + strconv.Quote(name) + ": args are required")
	}
	a := args.withDefaults()
	var images error
	if a.Loki != nil {
		images = a.Loki.Images.Err(Pins())
	}
	if err := errors.Join(a.Validate(""), images); err != nil {
		return nil, fmt.Errorf("audit %q: %w", name, err)
	}
	comp := &Audit{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("audit %q: register: %w", name, err)
	}
	days := a.LockDays()
	bucket, deps, err := newBucket(ctx, name, comp, &a, days)
	if err != nil {
		return nil, fmt.Errorf("audit %q: %w", name, err)
	}
	if a.Loki != nil && a.Loki.Enabled {
		if err := newLoki(ctx, name, comp, &a, deps); err != nil {
			return nil, fmt.Errorf("audit %q: %w", name, err)
		}
	}
	// The evidence outputs resolve once the bucket exists (and are tracked
	// by the engine like every resource output).
	mode, preset := string(a.Retention.Mode), string(a.Retention.Preset)
	comp.BucketName = bucket
	comp.LockMode = bucket.ApplyT(func(string) string { return mode }).(pulumi.StringOutput)
	comp.RetentionDays = bucket.ApplyT(func(string) int { return days }).(pulumi.IntOutput)
	comp.Preset = bucket.ApplyT(func(string) string { return preset }).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"bucketName":    comp.BucketName,
		"lockMode":      comp.LockMode,
		"retentionDays": comp.RetentionDays,
		"preset":        comp.Preset,
	}); err != nil {
		return nil, fmt.Errorf("audit %q: register outputs: %w", name, err)
	}
	return comp, nil
}

// newBucket registers the bucket and its configuration children and returns
// the bucket's name as the store reports it, and the children a writer must
// wait for (lock and policy in place).
func newBucket(ctx *pulumi.Context, name string, comp *Audit, a *AuditArgs, days int) (pulumi.StringOutput, []pulumi.Resource, error) {
	parent := pulumi.Parent(comp)
	b, err := s3.NewBucketV2(ctx, name+"-bucket", &s3.BucketV2Args{
		Bucket: pulumi.String(a.Bucket),
		// Object Lock can only be switched on when the bucket is created on
		// most stores (AWS allows it later, MinIO and versitygw do not).
		ObjectLockEnabled: pulumi.Bool(true),
		// A non-empty locked bucket cannot be emptied anyway; never try.
		ForceDestroy: pulumi.Bool(false),
	},
		parent,
		// The bucket is the audit trail itself: a destroy, a replacement
		// (e.g. after a rename) or a stack removal must never reach
		// DeleteBucket. Protect makes the engine refuse; removing it is a
		// deliberate, reviewed change. The lock keeps the objects anyway,
		// but a deleted bucket's name could be taken by someone else.
		pulumi.Protect(true))
	if err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("bucket: %w", err)
	}
	on := []pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{b})}

	ver, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  b.Bucket,
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, on...)
	if err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("versioning: %w", err)
	}
	lock, err := s3.NewBucketObjectLockConfigurationV2(ctx, name+"-lock", &s3.BucketObjectLockConfigurationV2Args{
		Bucket:            b.Bucket,
		ObjectLockEnabled: pulumi.String("Enabled"),
		Rule: &s3.BucketObjectLockConfigurationV2RuleArgs{
			DefaultRetention: &s3.BucketObjectLockConfigurationV2RuleDefaultRetentionArgs{
				Mode: pulumi.String(string(a.Retention.Mode)),
				Days: pulumi.Int(days),
			},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{b, ver}))
	if err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("object lock: %w", err)
	}
	policy, err := json.Marshal(BucketPolicy(a.Bucket, a.BreakGlassPrincipal))
	if err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("bucket policy: %w", err)
	}
	pol, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: b.Bucket,
		Policy: pulumi.String(string(policy)),
	}, parent, pulumi.DependsOn([]pulumi.Resource{lock}))
	if err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("bucket policy: %w", err)
	}
	if a.Encryption.Mode == SSEOn {
		def := &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm: pulumi.String(string(a.Encryption.Algorithm)),
		}
		if a.Encryption.Algorithm == SSEKMS {
			def.KmsMasterKeyId = pulumi.String(a.Encryption.KMSKeyID)
		}
		if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
			Bucket: b.Bucket,
			Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
				&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{ApplyServerSideEncryptionByDefault: def},
			},
		}, on...); err != nil {
			return pulumi.StringOutput{}, nil, fmt.Errorf("encryption: %w", err)
		}
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: b.Bucket,
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:     pulumi.String("expire-noncurrent-after-lock"),
				Status: pulumi.String("Enabled"),
				Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
				// A version becomes noncurrent no earlier than it was
				// written, so noncurrentDays = lock days never asks the
				// store to expire a version still under its retention.
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays: pulumi.Int(days),
				},
				AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
					DaysAfterInitiation: pulumi.Int(7),
				},
			},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{ver, lock})); err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("lifecycle: %w", err)
	}
	return b.Bucket, []pulumi.Resource{b, ver, lock, pol}, nil
}

// DeniedBucketActions are the bucket-level actions the policy denies to all
// but the break-glass principal: turning the lock or versioning off, or
// deleting the bucket.
var DeniedBucketActions = []string{"s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning", "s3:DeleteBucket",
	// The policy itself: removing it would remove every deny above.
	"s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}

// DeniedObjectActions are the object-level actions it denies: deleting a
// version (an unversioned delete only adds a delete marker and stays
// allowed, so Loki's compactor works) and bypassing GOVERNANCE retention.
var DeniedObjectActions = []string{"s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"}

// PolicyDocument is an S3 bucket policy.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a PolicyDocument.
type PolicyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal string                       `json:"Principal"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// BucketPolicy is the defence-in-depth policy on top of the lock: two Deny
// statements (bucket actions on the bucket, object actions on its objects:
// S3 refuses a statement whose actions do not fit its resources) for every
// principal whose ARN is not the break-glass one. A Deny with a
// aws:PrincipalArn condition instead of NotPrincipal, which AWS advises
// against and some stores do not implement.
func BucketPolicy(bucket, breakGlass string) PolicyDocument {
	cond := map[string]map[string]string{"StringNotEquals": {"aws:PrincipalArn": breakGlass}}
	return PolicyDocument{
		Version: "2012-10-17",
		Statement: []PolicyStatement{
			{Sid: "DenyLockAndVersioningChanges", Effect: "Deny", Principal: "*", Action: DeniedBucketActions,
				Resource: []string{"arn:aws:s3:::" + bucket}, Condition: cond},
			{Sid: "DenyVersionDeletes", Effect: "Deny", Principal: "*", Action: DeniedObjectActions,
				Resource: []string{"arn:aws:s3:::" + bucket + "/*"}, Condition: cond},
		},
	}
}
