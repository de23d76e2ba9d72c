package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/evidence"
	"github.com/rampart-dev/rampart/helpers/version"
	"github.com/spf13/cobra"
)

// evidenceFlags are check's --evidence flags: where the signed pack goes
// and the transit key that signs it.
type evidenceFlags struct {
	dest, verifyResults string
	retentionDays       int
	transit             evidence.Transit
}

// addEvidenceFlags adds the --evidence flags to check.
func addEvidenceFlags(cmd *cobra.Command) *evidenceFlags {
	e := &evidenceFlags{}
	f := cmd.Flags()
	f.StringVar(&e.dest, "evidence", "", "after the report, write one signed evidence pack to `DIR` (DIR/rampart-evidence-<stack>-<time>/) or to s3://BUCKET/PREFIX[?endpoint=…] (one tar under COMPLIANCE Object Lock)")
	f.StringVar(&e.verifyResults, "verify-results", "", "add `FILE`, a `rampart verify --json` result of the same stack, to the evidence pack")
	f.IntVar(&e.retentionDays, "retention-days", 0, "COMPLIANCE retention of the pack's S3 object in `DAYS` (default: the stack's audit bucket retention, rampart:audit.retention)")
	f.StringVar(&e.transit.Addr, "sign-transit-addr", "", "OpenBao/Vault `URL` whose transit key signs the pack (default $VAULT_ADDR)")
	f.StringVar(&e.transit.Mount, "sign-transit-mount", evidence.DefaultTransitMount, "transit mount `PATH`")
	f.StringVar(&e.transit.Key, "sign-key", "", "transit key `NAME` (ed25519 or ecdsa-p256) that signs the pack's manifest; required with --evidence")
	f.StringVar(&e.transit.TokenFile, "sign-token-file", "", "`FILE` holding the token that may sign (default $VAULT_TOKEN)")
	f.StringVar(&e.transit.CAFile, "sign-ca-file", "", "PEM `FILE` of the CA of the transit server's certificate (default $VAULT_CACERT, else the system roots)")
	return e
}

// validate checks the flags before the (long) assessment runs.
func (e *evidenceFlags) validate(cmd *cobra.Command) error {
	if e.dest == "" {
		for _, n := range []string{"verify-results", "retention-days", "sign-transit-addr", "sign-transit-mount", "sign-key", "sign-token-file", "sign-ca-file"} {
			if cmd.Flags().Changed(n) {
				return usagef("check: --%s is for the evidence pack: add --evidence DIR or --evidence s3://BUCKET/PREFIX", n)
			}
		}
		return nil
	}
	if e.transit.Addr == "" {
		e.transit.Addr = os.Getenv("VAULT_ADDR")
	}
	if e.transit.CAFile == "" {
		e.transit.CAFile = os.Getenv("VAULT_CACERT")
	}
	if e.transit.TokenFile == "" {
		e.transit.Token = os.Getenv("VAULT_TOKEN")
	}
	if err := e.transit.Validate(); err != nil {
		return usagef("check --evidence: %w", err)
	}
	if e.retentionDays < 0 {
		return usagef("check: --retention-days %d: want a number of days", e.retentionDays)
	}
	if evidence.IsS3URL(e.dest) {
		if _, err := evidence.ParseS3URL(e.dest); err != nil {
			return usagef("check: --evidence: %w", err)
		}
	}
	return nil
}

// write builds, signs and writes the pack of assessment as, and says
// where it went (even with --quiet: the job's log is the pointer to it).
func (e *evidenceFlags) write(cmd *cobra.Command, as *compliance.Assessment, signer evidence.Signer) error {
	if len(as.Export) == 0 {
		return fmt.Errorf("check --evidence: stack %s: no state export to digest", as.Stack)
	}
	state, err := evidence.StateFromExport(as.Stack, as.ExportVersion, as.Export)
	if err != nil {
		return fmt.Errorf("check --evidence: %w", err)
	}
	files := map[string][]byte{}
	render := reports(as)
	for name, format := range map[string]string{evidence.OSCALName: fmtOSCAL, evidence.HTMLName: fmtHTML, evidence.JSONName: fmtJSON} {
		var b bytes.Buffer
		if err := render[format](&b); err != nil {
			return fmt.Errorf("check --evidence: render %s: %w", format, err)
		}
		files[name] = b.Bytes()
	}
	if e.verifyResults != "" {
		b, err := readVerifyResults(e.verifyResults, as.Stack)
		if err != nil {
			return err
		}
		files[evidence.VerifyName] = b
	}
	v := version.Get()
	run := evidence.Run{Stack: as.Stack, Profile: as.Profile, Generated: as.Generated, Reports: files, State: state,
		Tool: evidence.Tool{Name: "rampart", Version: v.Version, Commit: v.Commit}}
	if signer == nil {
		signer = &e.transit
	}
	pack, err := evidence.Build(cmd.Context(), run, signer)
	if err != nil {
		return fmt.Errorf("check --evidence: %w", err)
	}
	days := e.retentionDays
	if days == 0 {
		if ab, ok := evidence.AuditBucketFromExport(as.Export); ok {
			days = ab.RetentionDays
		}
	}
	w, err := evidence.Write(cmd.Context(), pack, e.dest, time.Duration(days)*24*time.Hour, time.Now())
	if err != nil {
		return fmt.Errorf("check --evidence: %w", err)
	}
	msg := fmt.Sprintf("rampart: evidence pack written to %s", w.Where)
	if w.S3 != nil {
		msg += fmt.Sprintf(" (tar sha256 %s; COMPLIANCE retention until %s)", w.TarSHA256, w.RetainUntil.Format(time.RFC3339))
	}
	_, _ = fmt.Fprintln(cmd.ErrOrStderr(), msg)
	return nil
}

// readVerifyResults reads a `rampart verify --json` file and refuses one
// of another stack or without a behaviour run.
func readVerifyResults(path, stack string) ([]byte, error) {
	b, err := os.ReadFile(path) //nolint:gosec // G304: the file the user named
	if err != nil {
		return nil, fmt.Errorf("check --verify-results: %w", err)
	}
	var v struct {
		Stack     string          `json:"stack"`
		Behaviour json.RawMessage `json:"behaviour"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Behaviour) == 0 || string(v.Behaviour) == "null" {
		return nil, fmt.Errorf("check --verify-results %s: not the JSON of a `rampart verify --json` run (%v)", path, err)
	}
	if v.Stack != stack {
		return nil, fmt.Errorf("check --verify-results %s: results of stack %q, the report is of %q", path, v.Stack, stack)
	}
	return b, nil
}

// newEvidenceCmd is `rampart evidence`: the signed packs check writes.
func newEvidenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Verify the signed evidence packs `rampart check --evidence` writes",
		Long: `An evidence pack is one run of ` + "`rampart check --evidence`" + `: the OSCAL assessment
results, the HTML and JSON reports, the verify results when given, the
digest of the state export the report judged, and manifest.json listing each
with its sha256 and size, signed by an OpenBao/Vault transit key
(manifest.sig.json) whose public key is in the pack (public-key.pem).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newEvidenceVerifyCmd())
	return cmd
}

// newEvidenceVerifyCmd is `rampart evidence verify PACK`.
func newEvidenceVerifyCmd() *cobra.Command {
	var keyFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify PACK",
		Short: "Check an evidence pack's signature and every file's digest; exit 2 if it does not verify",
		Long: `Checks a pack offline: the manifest's signature with the public key in the
pack, then every file against the manifest (sha256 and size; a missing or an
added file fails). PACK is the pack's directory, its tar, or its S3 object
(s3://BUCKET/KEY[?versionId=…&endpoint=…], read with $AWS_ACCESS_KEY_ID and
$AWS_SECRET_ACCESS_KEY, then checked like a local tar).

The key in the pack proves integrity, not origin: anyone can sign a pack with
a key of their own and put that key in it. Give --public-key (the transit
key's public half, as ` + "`bao read transit/keys/NAME`" + ` shows it, in PEM) to also
prove the pack was signed by that key.

Exit 0 when the pack verifies, 2 when it does not (each problem names the
file, or "signature"), 1 when it cannot be read.`,
		Example: `  rampart evidence verify ./evidence/rampart-evidence-prod-20261203T051700Z
  rampart evidence verify --public-key evidence-key.pem rampart-evidence-prod-20261203T051700Z.tar
  rampart evidence verify 's3://audit/evidence/rampart-evidence-prod-20261203T051700Z.tar?endpoint=https://s3.example&versionId=…'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("evidence verify: give one PACK (a directory, a tar or an s3:// URL), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var want []byte
			if keyFile != "" {
				b, err := os.ReadFile(keyFile) //nolint:gosec // G304: the key the user named
				if err != nil {
					return fmt.Errorf("evidence verify: --public-key: %w", err)
				}
				if _, _, err := evidence.ParsePublicKey(b); err != nil {
					return usagef("evidence verify: --public-key %s: %w", keyFile, err)
				}
				want = b
			}
			p, err := evidence.Open(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("evidence verify: %w", err)
			}
			r := evidence.Verify(p, want)
			if err := writeVerification(cmd.OutOrStdout(), args[0], p, r, want != nil, asJSON); err != nil {
				return err
			}
			if err := r.Err(); err != nil {
				return fmt.Errorf("evidence verify %s: %w", args[0], err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "public-key", "", "PEM `FILE` of the key the pack must be signed by (without it, a valid pack proves integrity, not origin)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the verification as JSON")
	return cmd
}

// writeVerification prints what was checked and what failed.
func writeVerification(w io.Writer, src string, p *evidence.Pack, r *evidence.Result, keyed, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Pack  string `json:"pack"`
			Valid bool   `json:"valid"`
			*evidence.Result
		}{src, r.OK(), r})
	}
	var b bytes.Buffer
	if m := r.Manifest; m != nil {
		fmt.Fprintf(&b, "pack %s: stack %s, generated %s, by %s %s (%s)\n", m.Name(), m.Stack, m.Generated.Format(time.RFC3339), m.Tool.Name, m.Tool.Version, m.Tool.Commit)
	}
	if s := r.Signature; s != nil {
		fmt.Fprintf(&b, "signed by %s v%d (%s), public key sha256 %s\n", s.Signer, s.KeyVersion, s.Algorithm, r.PublicKeySHA256)
	}
	bad := map[string]bool{}
	for _, pr := range r.Problems {
		bad[pr.File] = true
	}
	for _, n := range p.Names() {
		mark := "ok  "
		if bad[n] {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %s\n", mark, n)
	}
	for _, pr := range r.Problems {
		fmt.Fprintf(&b, "problem: %s\n", pr)
	}
	switch {
	case !r.OK():
		fmt.Fprintf(&b, "INVALID: %d problems\n", len(r.Problems))
	case keyed:
		b.WriteString("VALID: every file is the one signed, by the expected key\n")
	default:
		b.WriteString("VALID: every file is the one signed by the key in the pack (integrity only: give --public-key to check who signed)\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}
