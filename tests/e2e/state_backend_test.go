package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/internal/testkit/s3raw"
)

// stateSecretSig is the key and value that mark a secret in a Pulumi
// checkpoint (resource.SecretSig); a stored secret holds "ciphertext" beside it.
const stateSecretSig = "4dabf18193072939515e22adb298388d"

// Self-hosted ("sovereign") Pulumi state: the DIY backend on the lab's S3
// server (versitygw) and the hashivault:// secrets provider on the transit
// engine of the lab's OpenBao 2.6.2 (the real server, over TLS 1.3: the CLI
// trusts the lab CA through VAULT_CACERT). The test reads the bucket behind
// the CLI's back to prove where the state is, that no secret is in it in
// clear, that transit (not a passphrase) guards the data key, and that lock
// files are deleted after each operation.
func TestE2E_SovereignState_DIYBackendOnLabS3_HashiVaultTransitOnOpenBao262(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_S3_ENDPOINT", "RAMPART_LAB_S3_ACCESS_KEY", "RAMPART_LAB_S3_SECRET_KEY",
		"VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT", "RAMPART_LAB_KUBECONFIG")
	labenv.RequireCommand(t, "pulumi")
	ctx := context.Background()
	hc := &http.Client{Timeout: 30 * time.Second}
	id := testkit.RandHex(4)

	// 1. A fresh bucket without Object Lock: lock files and checkpoint
	// backups are deleted and overwritten, which a locked bucket refuses.
	s3c := &stateS3{&s3raw.Client{Endpoint: env["RAMPART_LAB_S3_ENDPOINT"], AccessKey: env["RAMPART_LAB_S3_ACCESS_KEY"],
		SecretKey: env["RAMPART_LAB_S3_SECRET_KEY"], Region: "us-east-1", HTTP: hc}}
	bucket := "rampart-state-" + id
	if err := s3c.createBucket(bucket); err != nil {
		t.Fatalf("CreateBucket %s on RAMPART_LAB_S3_ENDPOINT: %v", bucket, err)
	}
	t.Cleanup(func() {
		if err := s3c.emptyAndDelete(bucket); err != nil {
			t.Errorf("delete state bucket %s: %v", bucket, err)
		}
	})
	var s3Err *s3raw.Error
	if body, err := s3c.objectLock(bucket); !errors.As(err, &s3Err) || s3Err.Code != "ObjectLockConfigurationNotFoundError" {
		t.Fatalf("GetObjectLockConfiguration %s = %s, %v; want ObjectLockConfigurationNotFoundError (no lock on a state bucket)", bucket, body, err)
	}

	// 2. A transit engine at a mount of its own, with one key.
	vc, err := newStateOpenBao(env["VAULT_ADDR"], env["VAULT_TOKEN"], env["VAULT_CACERT"])
	must(t, err)
	mount, key := "ss-transit-"+id, "rampart-state-"+id
	must(t, vc.mountTransit(mount))
	t.Cleanup(func() {
		if err := vc.unmount(mount); err != nil {
			t.Errorf("unmount transit %s: %v", mount, err)
		}
	})
	must(t, vc.createKey(mount, key))

	// 3. The stack: backend and OpenBao token only in this workspace's
	// environment, so lab/pulumi-env.sh's local backend is left alone.
	// endpoint without a scheme means https:// to this CLI; disable_https
	// makes it http:// (the lab's S3 has no TLS).
	u, err := url.Parse(env["RAMPART_LAB_S3_ENDPOINT"])
	must(t, err)
	backendURL := "s3://" + bucket + "?endpoint=" + u.Host + "&use_path_style=true&region=us-east-1&disable_https=true"
	provider := "hashivault://" + key + "?engine=" + mount
	secret := "ss-" + testkit.RandHex(16)
	ns := "ss-" + id
	work := t.TempDir()
	const project, stackName = "rampart-ss", "ss"
	must(t, os.WriteFile(filepath.Join(work, "Pulumi.yaml"), []byte("name: "+project+"\nruntime: go\n"), 0o600))
	program := func(ctx *pulumi.Context) error {
		raw, ok := ctx.GetConfig(project + ":token")
		if !ok || !ctx.IsConfigSecret(project+":token") {
			return errors.New(project + ":token: want a secret config value (pulumi config set --secret token …)")
		}
		token := pulumi.ToSecret(pulumi.String(raw)).(pulumi.StringOutput)
		n, err := corev1.NewNamespace(ctx, "ns", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{
			Name:   pulumi.String(ns),
			Labels: pulumi.StringMap{"pod-security.kubernetes.io/enforce": pulumi.String("restricted")},
		}})
		if err != nil {
			return err
		}
		in := pulumi.Parent(n)
		cm, err := corev1.NewConfigMap(ctx, "state", &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("state-backend"), Namespace: n.Metadata.Name()},
			Data:     pulumi.StringMap{"backend": pulumi.String("diy-s3"), "secrets": pulumi.String("hashivault")},
		}, in)
		if err != nil {
			return err
		}
		if _, err := corev1.NewSecret(ctx, "token", &corev1.SecretArgs{
			Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String("state-token"), Namespace: n.Metadata.Name()},
			StringData: pulumi.StringMap{"token": token},
		}, in); err != nil {
			return err
		}
		ctx.Export("configMap", cm.Metadata.Name())
		ctx.Export("token", token)
		return nil
	}
	// The hashivault:// keeper's client (hashicorp/vault/api) takes the
	// server's CA from the environment only: VAULT_CACERT.
	wsEnv := map[string]string{
		"PULUMI_BACKEND_URL":    backendURL,
		"AWS_ACCESS_KEY_ID":     env["RAMPART_LAB_S3_ACCESS_KEY"],
		"AWS_SECRET_ACCESS_KEY": env["RAMPART_LAB_S3_SECRET_KEY"],
		"VAULT_SERVER_URL":      env["VAULT_ADDR"],
		"VAULT_SERVER_TOKEN":    env["VAULT_TOKEN"],
		"VAULT_CACERT":          env["VAULT_CACERT"],
		"KUBECONFIG":            env["RAMPART_LAB_KUBECONFIG"],
	}
	stk, err := auto.UpsertStackInlineSource(ctx, stackName, project, program,
		auto.WorkDir(work), auto.SecretsProvider(provider), auto.EnvVars(wsEnv))
	if err != nil {
		t.Fatalf("upsert stack %s on %s with secrets provider %s: %v", stackName, bucket, provider, err)
	}
	ws := stk.Workspace()
	removed := false
	t.Cleanup(func() {
		if removed {
			return
		}
		ws.SetEnvVar("VAULT_SERVER_TOKEN", env["VAULT_TOKEN"])
		if _, err := stk.Destroy(context.Background(), optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
			t.Errorf("destroy %s (namespace %s may be left on the lab): %v", stackName, ns, err)
		}
		if err := ws.RemoveStack(context.Background(), stackName); err != nil {
			t.Errorf("remove stack %s: %v", stackName, err)
		}
	})
	who, err := ws.WhoAmIDetails(ctx)
	must(t, err)
	if !strings.HasPrefix(who.URL, "s3://"+bucket) {
		t.Fatalf("workspace backend = %q, want the s3://%s bucket", who.URL, bucket)
	}
	if got := os.Getenv("PULUMI_BACKEND_URL"); strings.HasPrefix(got, "s3://") {
		t.Fatalf("PULUMI_BACKEND_URL of the test process changed to %q; only the workspace may use the bucket", got)
	}
	must(t, stk.SetConfig(ctx, "token", auto.ConfigValue{Value: secret, Secret: true}))

	// 4. up, watching lock objects come and go.
	locks := watchStateLocks(s3c, bucket)
	up, err := stk.Up(ctx, optup.ProgressStreams(logWriter{T: t}))
	seen := locks()
	if err != nil {
		t.Fatalf("up on the S3 backend: %v", err)
	}
	if out := up.Outputs["token"]; !out.Secret || out.Value != secret {
		t.Errorf("output token: secret=%v, round trip through transit ok=%v; want a secret equal to the config value",
			out.Secret, out.Value == secret)
	}
	if strings.Contains(up.StdOut, secret) || strings.Contains(up.StdErr, secret) {
		t.Error("up printed the secret in clear")
	}
	if len(seen) == 0 {
		t.Error("no object under .pulumi/locks/ seen during up: the backend did not lock the stack")
	}
	t.Logf("lock objects seen during up: %v", seen)
	assertNoStateLocks(t, s3c, bucket, "up")

	keys, err := s3c.list(bucket, "")
	must(t, err)
	t.Logf("bucket %s after up: %v", bucket, keys)
	stateKey := ".pulumi/stacks/" + project + "/" + stackName + ".json"
	if !slices.Contains(keys, stateKey) {
		t.Fatalf("state object %s not in bucket %s", stateKey, bucket)
	}
	raw, err := s3c.get(bucket, stateKey)
	must(t, err)
	assertNoStatePlaintext(t, s3c, bucket, keys, secret)
	stackFile, err := os.ReadFile(filepath.Join(work, "Pulumi."+stackName+".yaml"))
	must(t, err)
	if bytes.Contains(stackFile, []byte(secret)) {
		t.Error("Pulumi." + stackName + ".yaml holds the secret in clear")
	}

	var cp apitype.VersionedCheckpoint
	must(t, json.Unmarshal(raw, &cp))
	var v3 apitype.CheckpointV3
	must(t, json.Unmarshal(cp.Checkpoint, &v3))
	if v3.Latest == nil || v3.Latest.SecretsProviders == nil {
		t.Fatalf("checkpoint %s has no deployment or no secrets provider", stateKey)
	}
	sp := v3.Latest.SecretsProviders
	var spState struct {
		URL          string `json:"url"`
		EncryptedKey []byte `json:"encryptedkey"`
	}
	must(t, json.Unmarshal(sp.State, &spState))
	if sp.Type != "cloud" || spState.URL != provider {
		t.Errorf("secrets_providers = type %q url %q, want cloud %q", sp.Type, spState.URL, provider)
	}
	dataKeyCT := string(spState.EncryptedKey)
	if !strings.HasPrefix(dataKeyCT, "vault:v1:") {
		t.Fatalf("encryptedkey does not decode to a transit ciphertext (vault:v1:…, the prefix OpenBao kept); prefix %q", stateFirstN(dataKeyCT, 9))
	}
	if !bytes.Contains(stackFile, []byte(base64.StdEncoding.EncodeToString(spState.EncryptedKey))) {
		t.Error("Pulumi." + stackName + ".yaml does not carry the checkpoint's encryptedkey")
	}
	plain, err := vc.decrypt(mount, key, dataKeyCT)
	if err != nil {
		t.Fatalf("transit decrypt of the stack's data key: %v", err)
	}
	if dk, err := base64.StdEncoding.DecodeString(plain); err != nil || len(dk) != 32 {
		t.Errorf("transit decrypt gave %d bytes (err %v), want a 32-byte data key", len(dk), err)
	}
	assertStateSecretsEncrypted(t, v3.Latest.Resources)

	// Preview with the root token sees no change; with a token that has no
	// transit policy it cannot open the stack's secrets. A preview takes no
	// lock and writes nothing, which is why the PR workflow's state key can
	// be read-only (README "GitHub workflows"): the bucket is byte-for-byte
	// the same afterwards and no lock object appeared meanwhile.
	before := stateBucketDigest(t, s3c, bucket)
	locks = watchStateLocks(s3c, bucket)
	pv, err := stk.Preview(ctx, optpreview.ProgressStreams(logWriter{T: t}))
	if seen := locks(); len(seen) > 0 {
		t.Errorf("preview took locks %v; the read-only PR key would fail", seen)
	}
	if err != nil {
		t.Fatalf("preview with the transit key: %v", err)
	}
	if after := stateBucketDigest(t, s3c, bucket); !maps.Equal(before, after) {
		t.Errorf("preview wrote to the state bucket: before %v, after %v", before, after)
	}
	for op, n := range pv.ChangeSummary {
		if op != apitype.OpSame && n > 0 {
			t.Errorf("preview after up: %d %s, want no change", n, op)
		}
	}
	assertNoStateLocks(t, s3c, bucket, "preview")
	child, err := vc.childTokenWithoutTransit()
	must(t, err)
	t.Cleanup(func() { _ = vc.revoke(child) })
	ws.SetEnvVar("VAULT_SERVER_TOKEN", child)
	_, err = stk.Preview(ctx)
	ws.SetEnvVar("VAULT_SERVER_TOKEN", env["VAULT_TOKEN"])
	if err == nil || !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), mount+"/decrypt/"+key) {
		t.Fatalf("preview with a token without transit: err = %v; want OpenBao's permission denied on %s/decrypt/%s", err, mount, key)
	}
	t.Logf("preview without transit access fails: %s", stateFirstLine(err.Error(), "/decrypt/"))
	assertNoStateLocks(t, s3c, bucket, "failed preview")

	// 5. destroy and stack rm; the cleanups remove the bucket and the mount.
	if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	assertNoStateLocks(t, s3c, bucket, "destroy")
	if err := ws.RemoveStack(ctx, stackName); err != nil {
		t.Fatalf("stack rm %s: %v", stackName, err)
	}
	removed = true
	keys, err = s3c.list(bucket, "")
	must(t, err)
	if slices.Contains(keys, stateKey) {
		t.Errorf("state object %s still in the bucket after stack rm", stateKey)
	}
	t.Logf("bucket %s after destroy and stack rm: %v", bucket, keys)
	assertNoStatePlaintext(t, s3c, bucket, keys, secret)
}

// assertNoStatePlaintext reads every key and fails when one holds secret.
func assertNoStatePlaintext(t *testing.T, c *stateS3, bucket string, keys []string, secret string) {
	t.Helper()
	for _, k := range keys {
		b, err := c.get(bucket, k)
		must(t, err)
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("bucket object %s holds the secret in clear", k)
		}
	}
}

// watchStateLocks lists .pulumi/locks/ every 100 ms until the returned
// function is called, which gives every lock key seen.
// stateBucketDigest is every object of the bucket with the SHA-256 of its
// contents.
func stateBucketDigest(t *testing.T, c *stateS3, bucket string) map[string]string {
	t.Helper()
	keys, err := c.list(bucket, "")
	must(t, err)
	out := map[string]string{}
	for _, k := range keys {
		b, err := c.get(bucket, k)
		must(t, err)
		out[k] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return out
}

func watchStateLocks(c *stateS3, bucket string) func() []string {
	var (
		mu   sync.Mutex
		seen []string
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			keys, _ := c.list(bucket, ".pulumi/locks/")
			mu.Lock()
			for _, k := range keys {
				if !slices.Contains(seen, k) {
					seen = append(seen, k)
				}
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() []string {
		close(done)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// assertNoStateLocks fails when a lock object outlived the operation.
func assertNoStateLocks(t *testing.T, c *stateS3, bucket, after string) {
	t.Helper()
	keys, err := c.list(bucket, ".pulumi/locks/")
	must(t, err)
	if len(keys) > 0 {
		t.Errorf("lock objects left after %s: %v", after, keys)
	}
}

// assertStateSecretsEncrypted walks every resource's inputs and outputs:
// each secret must be a sentinel object with ciphertext and no plaintext,
// and the stack output and the Kubernetes Secret must hold at least one.
func assertStateSecretsEncrypted(t *testing.T, resources []apitype.ResourceV3) {
	t.Helper()
	total := 0
	for _, r := range resources {
		n := 0
		for _, m := range []map[string]any{r.Inputs, r.Outputs} {
			n += countStateSecrets(t, string(r.URN), m)
		}
		total += n
		switch r.Type {
		case "pulumi:pulumi:Stack", "kubernetes:core/v1:Secret":
			if n == 0 {
				t.Errorf("%s holds no encrypted secret in the checkpoint", r.URN)
			}
		}
	}
	t.Logf("checkpoint: %d resources, %d secret values, all transit-encrypted sentinels", len(resources), total)
}

func countStateSecrets(t *testing.T, urn string, v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		if v[stateSecretSig] != nil {
			ct, _ := v["ciphertext"].(string)
			_, hasPlain := v["plaintext"]
			if ct == "" || hasPlain || v["value"] != nil {
				t.Errorf("%s: a secret in the checkpoint is not a ciphertext sentinel (keys %v)", urn, stateMapKeys(v))
			}
			return 1
		}
		for _, e := range v {
			n += countStateSecrets(t, urn, e)
		}
	case []any:
		for _, e := range v {
			n += countStateSecrets(t, urn, e)
		}
	}
	return n
}

func stateMapKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func stateFirstN(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// stateFirstLine is the first line of s holding sub (s itself if none does).
func stateFirstLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return s
}
