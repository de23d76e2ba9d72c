package providers

import (
	"cmp"
	"fmt"

	aws "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/infra/config"
)

// NewAWS builds the aws provider for the audit bucket's S3 store (nil
// unless rampart:audit is enabled). It speaks only
// S3, to rampart:audit.endpoint when set (MinIO, Ceph RGW, versitygw, a
// sovereign cloud's store), path-style (such stores rarely serve
// virtual-hosted buckets), and skips every AWS-account call: no STS
// identity lookup, no EC2 metadata probe, no region list, so it works
// against a store that is not AWS and never reaches AWS from an air gap.
// The keys come only from the secrets rampart:auditS3AccessKeyId and
// rampart:auditS3SecretAccessKey and reach the provider as Pulumi secrets;
// the provider never falls back to ambient AWS_* variables or profiles for
// them because both are always set.
func (p *Providers) NewAWS(ctx *pulumi.Context) (*aws.Provider, error) {
	if !p.cfg.Audit.Enabled {
		return nil, nil
	}
	return NewAuditS3(ctx, "audit-s3", p.cfg)
}

// NewAuditS3 builds the S3 store's aws provider named name from cfg (see
// NewAWS); exported for the server-backed tests, which build it the way
// the stack does.
func NewAuditS3(ctx *pulumi.Context, name string, cfg *config.Config) (*aws.Provider, error) {
	ac := cfg.Audit
	args := &aws.ProviderArgs{
		Region:                    pulumi.String(cmp.Or(ac.Region, audit.DefaultRegion)),
		AccessKey:                 cfg.Secrets.AuditS3AccessKeyID.Output(),
		SecretKey:                 cfg.Secrets.AuditS3SecretAccessKey.Output(),
		S3UsePathStyle:            pulumi.Bool(true),
		SkipCredentialsValidation: pulumi.Bool(true),
		SkipRequestingAccountId:   pulumi.Bool(true),
		SkipMetadataApiCheck:      pulumi.Bool(true),
		SkipRegionValidation:      pulumi.Bool(true),
	}
	if ac.Endpoint != "" {
		args.Endpoints = aws.ProviderEndpointArray{aws.ProviderEndpointArgs{S3: pulumi.String(ac.Endpoint)}}
	}
	a, err := aws.NewProvider(ctx, name, args)
	if err != nil {
		return nil, fmt.Errorf("providers: aws (audit S3 store): %w", err)
	}
	return a, nil
}
