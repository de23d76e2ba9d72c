package audit

import (
	"fmt"
	"net/url"

	"gopkg.in/yaml.v3"
)

// The Loki configuration as typed Go structs, rendered with gopkg.in/yaml.v3:
// only the keys Rampart decides are modelled; everything else keeps Loki's
// defaults. Keys follow Loki 3.x's configuration reference.

// LokiConfig is Loki's configuration file.
type LokiConfig struct {
	// AuthEnabled makes Loki multi-tenant: every push and query must carry
	// X-Scope-OrgID, so one tenant's audit trail is not another's.
	AuthEnabled   bool              `yaml:"auth_enabled"`
	Server        LokiServer        `yaml:"server"`
	Common        LokiCommon        `yaml:"common"`
	SchemaConfig  LokiSchemaConfig  `yaml:"schema_config"`
	StorageConfig LokiStorageConfig `yaml:"storage_config"`
	Compactor     LokiCompactor     `yaml:"compactor"`
	LimitsConfig  LokiLimits        `yaml:"limits_config"`
	Analytics     LokiAnalytics     `yaml:"analytics"`
}

// LokiServer is the server block.
type LokiServer struct {
	HTTPListenPort int    `yaml:"http_listen_port"`
	GRPCListenPort int    `yaml:"grpc_listen_port"`
	LogLevel       string `yaml:"log_level"`
}

// LokiCommon is the common block (single binary, object storage).
type LokiCommon struct {
	PathPrefix        string            `yaml:"path_prefix"`
	ReplicationFactor int               `yaml:"replication_factor"`
	Ring              LokiRing          `yaml:"ring"`
	Storage           LokiCommonStorage `yaml:"storage"`
}

// LokiRing is common.ring.
type LokiRing struct {
	KVStore struct {
		Store string `yaml:"store"`
	} `yaml:"kvstore"`
}

// LokiCommonStorage is common.storage.
type LokiCommonStorage struct {
	S3 LokiS3 `yaml:"s3"`
}

// LokiS3 is Loki's S3 client config. The keys are environment references
// (${AWS_ACCESS_KEY_ID}), expanded by -config.expand-env from a Kubernetes
// Secret: the rendered file, which lands in a ConfigMap, holds no secret.
type LokiS3 struct {
	Endpoint         string `yaml:"endpoint,omitempty"`
	Region           string `yaml:"region"`
	BucketNames      string `yaml:"bucketnames"`
	AccessKeyID      string `yaml:"access_key_id"`
	SecretAccessKey  string `yaml:"secret_access_key"`
	S3ForcePathStyle bool   `yaml:"s3forcepathstyle"`
	Insecure         bool   `yaml:"insecure"`
}

// LokiSchemaConfig is schema_config.
type LokiSchemaConfig struct {
	Configs []LokiPeriodConfig `yaml:"configs"`
}

// LokiPeriodConfig is one schema period.
type LokiPeriodConfig struct {
	From        string `yaml:"from"`
	Store       string `yaml:"store"`
	ObjectStore string `yaml:"object_store"`
	Schema      string `yaml:"schema"`
	Index       struct {
		Prefix string `yaml:"prefix"`
		Period string `yaml:"period"`
	} `yaml:"index"`
}

// LokiStorageConfig is storage_config.
type LokiStorageConfig struct {
	TSDBShipper struct {
		ActiveIndexDirectory string `yaml:"active_index_directory"`
		CacheLocation        string `yaml:"cache_location"`
	} `yaml:"tsdb_shipper"`
}

// LokiCompactor is the compactor block: retention on, deletes recorded in
// the object store. Under Object Lock the compactor's deletes become delete
// markers: the bytes stay until the lock ends.
type LokiCompactor struct {
	WorkingDirectory     string `yaml:"working_directory"`
	CompactionInterval   string `yaml:"compaction_interval"`
	RetentionEnabled     bool   `yaml:"retention_enabled"`
	RetentionDeleteDelay string `yaml:"retention_delete_delay"`
	DeleteRequestStore   string `yaml:"delete_request_store"`
}

// LokiLimits is limits_config.
type LokiLimits struct {
	RetentionPeriod        string `yaml:"retention_period"`
	RejectOldSamples       bool   `yaml:"reject_old_samples"`
	RejectOldSamplesMaxAge string `yaml:"reject_old_samples_max_age"`
	AllowStructuredMeta    bool   `yaml:"allow_structured_metadata"`
}

// LokiAnalytics is the analytics block.
type LokiAnalytics struct {
	// ReportingEnabled is false: no usage report leaves a sovereign cluster.
	ReportingEnabled bool `yaml:"reporting_enabled"`
}

// Schema facts Rampart pins: tsdb index, schema v13 (the one Loki 3
// requires for structured metadata), 24h index period.
const (
	lokiSchemaFrom   = "2024-01-01"
	lokiHTTPPort     = 3100
	lokiGRPCPort     = 9095
	lokiDataDir      = "/var/loki"
	lokiRejectMaxAge = "168h"
)

// NewLokiConfig builds the configuration for a Loki on bucket at endpoint
// ("" = AWS) keeping logs retentionDays.
func NewLokiConfig(bucket, endpoint, region string, retentionDays int) (LokiConfig, error) {
	c := LokiConfig{AuthEnabled: true}
	c.Server = LokiServer{HTTPListenPort: lokiHTTPPort, GRPCListenPort: lokiGRPCPort, LogLevel: "info"}
	c.Common.PathPrefix = lokiDataDir
	c.Common.ReplicationFactor = 1
	c.Common.Ring.KVStore.Store = "inmemory"
	// Only references: Loki expands them from its env (-config.expand-env),
	// which the Kubernetes Secret fills.
	s3 := LokiS3{Region: region, BucketNames: bucket, AccessKeyID: "${AWS_ACCESS_KEY_ID}", //nolint:gosec // an env reference, not a credential
		SecretAccessKey: "${AWS_SECRET_ACCESS_KEY}", S3ForcePathStyle: true}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" {
			return LokiConfig{}, fmt.Errorf("endpoint %q is not a URL", endpoint)
		}
		// Loki takes host[:port]; the scheme becomes `insecure`.
		s3.Endpoint, s3.Insecure = u.Host, u.Scheme == "http"
	}
	c.Common.Storage.S3 = s3
	p := LokiPeriodConfig{From: lokiSchemaFrom, Store: "tsdb", ObjectStore: "s3", Schema: "v13"}
	p.Index.Prefix, p.Index.Period = "index_", "24h"
	c.SchemaConfig.Configs = []LokiPeriodConfig{p}
	c.StorageConfig.TSDBShipper.ActiveIndexDirectory = lokiDataDir + "/tsdb-index"
	c.StorageConfig.TSDBShipper.CacheLocation = lokiDataDir + "/tsdb-cache"
	c.Compactor = LokiCompactor{WorkingDirectory: lokiDataDir + "/compactor", CompactionInterval: "10m",
		RetentionEnabled: true, RetentionDeleteDelay: "2h", DeleteRequestStore: "s3"}
	c.LimitsConfig = LokiLimits{RetentionPeriod: fmt.Sprintf("%dh", retentionDays*24), RejectOldSamples: true,
		RejectOldSamplesMaxAge: lokiRejectMaxAge, AllowStructuredMeta: true}
	return c, nil
}

// Render is the configuration as YAML.
func (c LokiConfig) Render() (string, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("render loki config: %w", err)
	}
	return string(b), nil
}
