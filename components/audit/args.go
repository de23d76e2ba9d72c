package audit

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Preset is a framework whose log-retention expectation sets the bucket's
// default Object Lock period. Typed so that a typo fails validation; there is
// no default preset: the retention period is a decision the operator states,
// never one Rampart makes silently.
type Preset string

const (
	// PresetNIS2 is the NIS2 preset. Directive (EU) 2022/2555 Art. 21(2) and Implementing
	// Regulation (EU) 2024/2690 (annex, logging) require logs to be kept
	// without setting a number of years. Rampart chooses 3 years (1096 days):
	// long enough for an incident found months after the fact to be
	// reconstructed through the supervisory follow-up, short enough to stay
	// proportionate for personal data in the logs (GDPR Art. 5(1)(e)). Check
	// your member state's transposition, which may set its own period.
	PresetNIS2 Preset = "nis2"
	// PresetDORA is the DORA preset. Regulation (EU) 2022/2554 and its RTS (EU) 2024/1774 let
	// the financial entity choose the log retention period. Rampart chooses 5
	// years (1827 days), the record-keeping period EU financial law already
	// imposes on many of the same entities (e.g. MiFID II Art. 16(6)-(7)).
	PresetDORA Preset = "dora"
	// PresetISM is the Australian ISM preset. The ISM's former control 0859
	// (event logs kept at least 7 years) was rescinded in the December 2024
	// ISM; the ISM now asks 12 months searchable (ISM-1988) and retention as
	// the National Archives' records authority sets (ISM-1989). Rampart keeps the sovereign-cloud hardening guide's 7 years (2557 days, leap
	// days included) as an explicit, conservative choice, not an ISM demand.
	PresetISM Preset = "ism"
	// PresetITSG33 is the ITSG-33 preset. ITSG-33 AU-11 (audit record retention) leaves the period
	// organisation-defined. Rampart chooses 2 years (731 days), covering a
	// full annual assessment cycle plus the investigation of what it finds.
	PresetITSG33 Preset = "itsg33"
	// PresetCEPlus is the Cyber Essentials Plus preset. Cyber Essentials Plus sets no log retention at all.
	// Rampart chooses 1 year (366 days) as a floor for investigating an
	// incident found at the next annual assessment.
	PresetCEPlus Preset = "ce-plus"
	// PresetCustom takes the period from retention.days, which is then
	// required; the only preset that may use GOVERNANCE mode.
	PresetCustom Preset = "custom"
)

// PresetDays is each framework preset's Object Lock period in days
// (365·years plus the most leap days those years can hold), for the
// compliance report and docs to quote one source.
var PresetDays = map[Preset]int{
	PresetNIS2:   1096,
	PresetDORA:   1827,
	PresetISM:    2557,
	PresetITSG33: 731,
	PresetCEPlus: 366,
}

// LockMode is the Object Lock retention mode.
type LockMode string

const (
	// LockCompliance means no one, the account root included, can delete a
	// locked version or shorten its retention until it ends. The default,
	// and the only mode a framework preset accepts: an audit trail an
	// administrator can erase is not evidence.
	LockCompliance LockMode = "COMPLIANCE"
	// LockGovernance lets principals with s3:BypassGovernanceRetention can
	// delete or shorten. Only with PresetCustom (e.g. a test bucket).
	LockGovernance LockMode = "GOVERNANCE"
)

// SSE switches server-side encryption of the bucket on or off.
type SSE string

const (
	// SSEOn writes a default-encryption configuration. The default.
	SSEOn SSE = "on"
	// SSEOff writes none: for stores that do not implement
	// PutBucketEncryption (the lab's versitygw) or encrypt at rest below S3.
	SSEOff SSE = "off"
)

// SSEAlgorithm is the default encryption algorithm.
type SSEAlgorithm string

const (
	// SSEAES256 is SSE-S3: keys managed by the store. The default.
	SSEAES256 SSEAlgorithm = "AES256"
	// SSEKMS is SSE-KMS with encryption.kmsKeyId (required).
	SSEKMS SSEAlgorithm = "aws:kms"
)

// Defaults that withDefaults fills in.
const (
	// DefaultMode is the lock mode when retention.mode is empty.
	DefaultMode = LockCompliance
	// DefaultSSE is the encryption switch when encryption.mode is empty.
	DefaultSSE = SSEOn
	// DefaultSSEAlgorithm is the algorithm when encryption.algorithm is empty.
	DefaultSSEAlgorithm = SSEAES256
	// DefaultRegion is sent to stores that ignore regions (MinIO, Ceph RGW,
	// versitygw) but whose SigV4 signature still names one.
	DefaultRegion = "us-east-1"
)

// AuditArgs configures the WORM audit store. It is also the schema of the
// stack config section rampart:audit. The store's credentials are not here:
// they belong to the aws provider the caller passes in opts (built in
// infra/providers from the secrets rampart:auditS3AccessKeyId and
// rampart:auditS3SecretAccessKey), so no key can be set in plaintext in
// this section (strict decoding rejects unknown keys).
type AuditArgs struct {
	// Bucket is the bucket's name (S3 naming rules: 3-63 characters,
	// lowercase letters, digits, '.' and '-', starting and ending with a
	// letter or digit, not an IP address, no "xn--" prefix or "-s3alias"
	// suffix). Required: bucket names are global on many stores.
	Bucket string `json:"bucket,omitempty"`
	// Retention is the default Object Lock retention. NIS2 Art. 21(2)(b);
	// DORA Art. 12; ITSG-33 AU-9, AU-11; ISM event logging.
	Retention RetentionArgs `json:"retention,omitzero"`
	// BreakGlassPrincipal is the one principal (an ARN, or the account name
	// on stores without ARNs) the bucket policy exempts from its denials of
	// version deletes, lock and versioning changes and governance bypass.
	// Required; never "*". In COMPLIANCE mode even this principal cannot
	// delete a locked version: the lock, not the policy, is the control.
	BreakGlassPrincipal string `json:"breakGlassPrincipal,omitempty"`
	// Encryption is the bucket's default server-side encryption.
	Encryption EncryptionArgs `json:"encryption,omitzero"`
	// Endpoint is the S3 store's URL as Pulumi reaches it (the aws
	// provider's endpoint override; "" means AWS itself). https is required
	// unless AllowHTTPEndpoint is set.
	Endpoint string `json:"endpoint,omitempty"`
	// Region is the store's region; default DefaultRegion.
	Region string `json:"region,omitempty"`

	// Loki is Loki on this bucket; nil or enabled=false deploys none.
	Loki *LokiArgs `json:"loki,omitempty"`
	// Agent is the log agent shipping the API server's audit log to that
	// Loki (Fluent Bit, see AgentArgs); nil or enabled=false deploys none.
	// The stack validates and deploys it (NewAgent) next to the component.
	Agent *AgentArgs `json:"agent,omitempty"`

	// AccessKeyID and SecretAccessKey are the store's keys for Loki (the
	// aws provider has its own copy from the same secrets). Not config
	// keys: the config layer injects them from rampart:auditS3AccessKeyId
	// and rampart:auditS3SecretAccessKey; KeysAreSecret says whether the
	// stack stores them encrypted (Loki refuses plaintext keys).
	AccessKeyID     pulumi.StringOutput `json:"-"`
	SecretAccessKey pulumi.StringOutput `json:"-"`
	KeysAreSecret   bool                `json:"-"`

	// AllowHTTPEndpoint accepts an http:// endpoint. Not a config key: the
	// config layer sets it in the local profile only (the lab's S3 server
	// listens on 127.0.0.1 in plain http); anywhere else the keys and the
	// audit trail would cross the network in clear.
	AllowHTTPEndpoint bool `json:"-"`
}

// RetentionArgs is the bucket's default Object Lock retention.
type RetentionArgs struct {
	// Preset is the framework whose expectation sets the period (see the
	// Preset constants for why each period was chosen). Required.
	Preset Preset `json:"preset,omitempty"`
	// Days is the period with PresetCustom (required there, 1-36500); with
	// any other preset it must stay unset (nil), since the preset decides
	// it. A pointer because a given key is never ignored: days: 0 beside a
	// framework preset is refused like any other value there.
	Days *int `json:"days,omitempty"`
	// Mode is the lock mode; default COMPLIANCE, the only mode a framework
	// preset accepts.
	Mode LockMode `json:"mode,omitempty"`
}

// EncryptionArgs is the bucket's default server-side encryption.
type EncryptionArgs struct {
	// Mode is on (default) or off (stores without PutBucketEncryption).
	Mode SSE `json:"mode,omitempty"`
	// Algorithm is AES256 (default) or aws:kms.
	Algorithm SSEAlgorithm `json:"algorithm,omitempty"`
	// KMSKeyID is the KMS key with aws:kms; ignored otherwise.
	KMSKeyID string `json:"kmsKeyId,omitempty"`
}

// MaxDays bounds a custom period at 100 years: longer is a typo, not a policy.
const MaxDays = 36500

// withDefaults returns a copy with every unset field defaulted.
func (a AuditArgs) withDefaults() AuditArgs {
	if a.Retention.Mode == "" {
		a.Retention.Mode = DefaultMode
	}
	if a.Encryption.Mode == "" {
		a.Encryption.Mode = DefaultSSE
	}
	if a.Encryption.Mode == SSEOn && a.Encryption.Algorithm == "" {
		a.Encryption.Algorithm = DefaultSSEAlgorithm
	}
	if a.Region == "" {
		a.Region = DefaultRegion
	}
	if a.Loki != nil {
		l := a.Loki.withDefaults(a.LockDays())
		a.Loki = &l
	}
	return a
}

// LockDays is the default retention in days the args resolve to (0 when the
// preset is unknown or custom days are missing).
func (a AuditArgs) LockDays() int {
	if a.Retention.Preset == PresetCustom {
		if a.Retention.Days == nil {
			return 0
		}
		return *a.Retention.Days
	}
	return PresetDays[a.Retention.Preset]
}

var (
	bucketChars = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	awsRegion   = regexp.MustCompile(`^[a-z0-9-]{2,32}$`)
)

// bucketNameProblem says why S3 would reject name ("" when it would not).
// The rules are AWS's general-purpose bucket naming rules, the strictest
// any S3 store applies.
func bucketNameProblem(name string) string {
	switch {
	case len(name) < 3 || len(name) > 63:
		return "must be 3-63 characters"
	case !bucketChars.MatchString(name):
		return "only lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
	case strings.Contains(name, ".."):
		return "no two adjacent periods"
	case net.ParseIP(name) != nil:
		return "must not be formatted as an IP address"
	case strings.HasPrefix(name, "xn--"), strings.HasPrefix(name, "sthree-"):
		return "must not start with a reserved prefix (xn--, sthree-)"
	case strings.HasSuffix(name, "-s3alias"), strings.HasSuffix(name, "--ol-s3"):
		return "must not end with a reserved suffix (-s3alias, --ol-s3)"
	}
	return ""
}

// Validate reports every problem with its key path under path (e.g.
// "rampart:audit"), on the args as withDefaults leaves them.
func (a *AuditArgs) Validate(path string) error {
	d := a.withDefaults()
	var l verr.List
	p := func(k string) string { return verr.Path(path, k) }

	if why := bucketNameProblem(d.Bucket); why != "" {
		l.Add(p("bucket"), d.Bucket, "S3 rejects this bucket name: "+why, "e.g. \"rampart-audit-<cluster>\"")
	}

	r := d.Retention
	switch r.Preset {
	case "":
		l.Add(p("retention.preset"), "", "required: the lock period is a decision to state, not a default",
			"one of nis2, dora, ism, itsg33, ce-plus, custom (see components/audit for each period and why)")
	case PresetNIS2, PresetDORA, PresetISM, PresetITSG33, PresetCEPlus:
		if r.Days != nil {
			l.Add(p("retention.days"), *r.Days, fmt.Sprintf("preset %s sets the period (%d days)", r.Preset, PresetDays[r.Preset]),
				"remove retention.days, or use preset custom")
		}
		if r.Mode != LockCompliance {
			l.Add(p("retention.mode"), string(r.Mode), fmt.Sprintf("preset %s demands COMPLIANCE: in %s mode an administrator can erase the audit trail", r.Preset, r.Mode),
				"remove retention.mode (default COMPLIANCE)")
		}
	case PresetCustom:
		if days := d.LockDays(); days <= 0 || days > MaxDays {
			l.Add(p("retention.days"), days, fmt.Sprintf("preset custom needs a period of 1-%d days", MaxDays), "e.g. retention.days: 2557 (7 years)")
		}
	default:
		l.Add(p("retention.preset"), string(r.Preset), "unknown preset", "one of nis2, dora, ism, itsg33, ce-plus, custom")
	}
	if r.Mode != LockCompliance && r.Mode != LockGovernance {
		l.Add(p("retention.mode"), string(r.Mode), "unknown lock mode", "COMPLIANCE (default) or GOVERNANCE (preset custom only)")
	}

	switch bg := d.BreakGlassPrincipal; {
	case bg == "":
		l.Add(p("breakGlassPrincipal"), "", "required: the one principal the bucket policy exempts from its denials",
			"e.g. \"arn:aws:iam::123456789012:role/audit-break-glass\"")
	case strings.ContainsAny(bg, "*? \t\n"):
		l.Add(p("breakGlassPrincipal"), bg, "must name one principal, without wildcards or spaces", "an ARN or the store's account name")
	}

	e := d.Encryption
	switch e.Mode {
	case SSEOff:
		if e.Algorithm != "" || e.KMSKeyID != "" {
			l.Add(p("encryption.algorithm"), string(e.Algorithm), "set with encryption.mode off", "remove it, or set encryption.mode on")
		}
	case SSEOn:
		switch e.Algorithm {
		case SSEAES256:
			if e.KMSKeyID != "" {
				l.Add(p("encryption.kmsKeyId"), e.KMSKeyID, "only used with algorithm aws:kms", "remove it, or set encryption.algorithm aws:kms")
			}
		case SSEKMS:
			if e.KMSKeyID == "" {
				l.Add(p("encryption.kmsKeyId"), "", "required with algorithm aws:kms", "the KMS key's ARN or id")
			}
		default:
			l.Add(p("encryption.algorithm"), string(e.Algorithm), "unknown algorithm", "AES256 (default) or aws:kms")
		}
	default:
		l.Add(p("encryption.mode"), string(e.Mode), "unknown mode", "on (default) or off")
	}

	if d.Endpoint != "" {
		u, err := url.Parse(d.Endpoint)
		// Credentials in the URL are checked first and the URL is never
		// echoed then: it would print them in the preview.
		switch {
		case strings.Contains(d.Endpoint, "@") || (err == nil && u.User != nil):
			l.Add(p("endpoint"), verr.Redacted, "must not carry credentials", "use rampart:auditS3AccessKeyId / rampart:auditS3SecretAccessKey (secrets)")
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			l.Add(p("endpoint"), d.Endpoint, "not an http(s) URL with a host", "e.g. \"https://s3.example.internal\"")
		case u.Scheme == "http" && !d.AllowHTTPEndpoint:
			l.Add(p("endpoint"), d.Endpoint, "plain http would carry the store's keys and the audit trail in clear; only the local profile allows it",
				"use an https:// endpoint")
		}
	}
	if !awsRegion.MatchString(d.Region) {
		l.Add(p("region"), d.Region, "not a region name", "e.g. \"us-east-1\" (stores that ignore regions accept any)")
	}
	if d.Loki != nil && d.Loki.Enabled {
		d.Loki.validate(&l, p("loki"), d.LockDays(), d.KeysAreSecret)
	}
	return l.Err()
}
