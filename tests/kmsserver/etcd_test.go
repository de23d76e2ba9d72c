package kmsserver_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-dev/rampart/helpers/kmsplugin"
)

// TestKMS_ServerBacked_SecretsEncryptedInEtcdByOpenBao proves, in etcd, that
// the rendered EncryptionConfiguration and the plugin keep Secrets
// encrypted under OpenBao's transit key: the real kube-apiserver and etcd
// (the lab's built binaries), the real plugin binary and a real OpenBao,
// each this test's own process on 127.0.0.1 (never the lab's servers). The
// steps run in order on one cluster; a failed step stops the rest.
func TestKMS_ServerBacked_SecretsEncryptedInEtcdByOpenBao(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	// want is every Secret the test wrote and its value: what must read
	// back once OpenBao is back.
	want := map[string]string{}
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("stored with the kms v2 prefix and plaintext nowhere in the data dir", func(t *testing.T) {
		// The control: a ConfigMap is not in the config's resources, so its
		// marker is stored in clear, and the scan must find it.
		control := marker("configmap")
		if _, err := c.api.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "scan-control"},
			Data: map[string]string{"value": control}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		want["before-rotation"] = marker("secret")
		if err := c.createSecret("before-rotation", want["before-rotation"]); err != nil {
			t.Fatal(err)
		}
		if id := c.storedKeyID(t, "before-rotation"); id != "1" {
			t.Errorf("key ID of the Secret in etcd = %q, want 1 (the transit key's first version)", id)
		}
		found := c.etcd.scan(t, control, want["before-rotation"])
		if len(found[control]) == 0 {
			t.Fatalf("the scan found the ConfigMap's clear marker in no file of %s: it proves nothing", c.etcd.dataDir)
		}
		t.Logf("scan control: the ConfigMap's marker is in %v", found[control])
		if files := found[want["before-rotation"]]; len(files) > 0 {
			t.Errorf("the Secret's plaintext is in etcd's data dir: %v", files)
		}
	})

	step("reads back through the API", func(t *testing.T) {
		s, err := c.getSecret("before-rotation")
		if err != nil || string(s.Data["value"]) != want["before-rotation"] {
			t.Fatalf("GET before-rotation = %v, %v; want the value written", s, err)
		}
	})

	step("transit key rotated: new writes carry key ID 2, a storage migration moves the old ones", func(t *testing.T) {
		c.bao.Must(t, http.MethodPost, mount+"/keys/"+key+"/rotate", nil)
		// KMS v2 keeps writing with its cached data key until a Status call
		// names a new key ID: its background poll runs once a minute, its
		// readyz check at most every 20 s. Each round asks readyz (which runs
		// the check when due) and rewrites a probe Secret; bounded at 90 s.
		probes := []string{marker("probe")}
		want["rotation-probe"] = probes[0]
		if err := c.createSecret("rotation-probe", want["rotation-probe"]); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		eventually(t, "a write under key ID 2", 90*time.Second, func() (bool, string) {
			_, _, _ = c.api.readyz()
			s, err := c.getSecret("rotation-probe")
			if err != nil {
				return false, err.Error()
			}
			next := marker("probe")
			s.Data["value"] = []byte(next)
			if _, err := c.api.client.CoreV1().Secrets(ns).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
				return false, err.Error()
			}
			probes = append(probes, next)
			want["rotation-probe"] = next
			id := c.storedKeyID(t, "rotation-probe")
			return id == "2", "key ID " + id
		})
		t.Logf("the API server wrote under key ID 2 %v after the rotation (%d probe writes)", time.Since(start).Round(time.Second), len(probes)-1)

		want["after-rotation"] = marker("secret")
		if err := c.createSecret("after-rotation", want["after-rotation"]); err != nil {
			t.Fatal(err)
		}
		if id := c.storedKeyID(t, "after-rotation"); id != "2" {
			t.Errorf("key ID of a Secret written after the rotation = %q, want 2", id)
		}
		if id := c.storedKeyID(t, "before-rotation"); id != "1" {
			t.Errorf("key ID of the Secret written before the rotation = %q, want still 1 before the migration", id)
		}
		old, err := c.getSecret("before-rotation")
		if err != nil || string(old.Data["value"]) != want["before-rotation"] {
			t.Fatalf("GET before-rotation after the rotation = %v, %v; want the value written", old, err)
		}

		// The storage migration: read and update every Secret unchanged
		// (`kubectl get secrets -o json | kubectl replace -f -`). The API
		// server rewrites an unchanged object only when its stored form is
		// stale, here: under another key ID.
		list, err := c.api.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range list.Items {
			if _, err := c.api.client.CoreV1().Secrets(ns).Update(ctx, &list.Items[i], metav1.UpdateOptions{}); err != nil {
				t.Fatalf("migrating %s: %v", list.Items[i].Name, err)
			}
		}
		for _, s := range list.Items {
			if id := c.storedKeyID(t, s.Name); id != "2" {
				t.Errorf("key ID of %s after the migration = %q, want 2", s.Name, id)
			}
		}
		migrated, err := c.getSecret("before-rotation")
		if err != nil {
			t.Fatal(err)
		}
		if string(migrated.Data["value"]) != want["before-rotation"] || migrated.ResourceVersion == old.ResourceVersion {
			t.Errorf("before-rotation after the migration = resourceVersion %s (was %s), value intact %v; want rewritten, same value",
				migrated.ResourceVersion, old.ResourceVersion, string(migrated.Data["value"]) == want["before-rotation"])
		}
		c.notInEtcd(t, append(probes, want["before-rotation"], want["after-rotation"])...)
	})

	step("OpenBao unreachable: readyz fails on kms and nothing reaches etcd in clear", func(t *testing.T) {
		c.proxy.close()
		t.Logf("readyz with OpenBao unreachable: %s", c.kmsCheckFails(t, 60*time.Second))
		if st := pluginStatus(t, c.plugin); st.Healthz == kmsplugin.Healthy {
			t.Errorf("plugin Status with OpenBao unreachable = %+v, want unhealthy", st)
		}

		during := marker("secret")
		err := c.createSecret("during-outage", during)
		v, found := c.etcd.get(t, "/registry/secrets/"+ns+"/during-outage")
		switch {
		case err == nil:
			want["during-outage"] = during
			// Expected: KMS v2 derives each write's key from its cached seed,
			// valid 3 minutes past the last healthy Status.
			t.Logf("observed: a Secret write with OpenBao unreachable SUCCEEDED (the API server's cached KMS v2 data key), stored under key ID %s", c.storedKeyID(t, "during-outage"))
		case found:
			t.Errorf("the write failed (%v) yet etcd holds the key (%d bytes)", err, len(v))
		default:
			t.Logf("observed: a Secret write with OpenBao unreachable FAILED: %v; etcd holds no key for it", err)
		}
		if s, err := c.getSecret("before-rotation"); err != nil {
			t.Logf("observed: a Secret read with OpenBao unreachable FAILED: %v", err)
		} else {
			t.Logf("observed: a Secret read with OpenBao unreachable succeeded (value intact: %v)", string(s.Data["value"]) == want["before-rotation"])
		}
		t.Logf("Secrets in etcd, all KMS v2 envelopes: %d", c.allEncrypted(t))
		c.notInEtcd(t, during)
	})

	step("API server restarted with OpenBao unreachable fails loudly", func(t *testing.T) {
		c.api.proc.stop(t)
		c.api.start(t)
		line := c.kmsCheckFails(t, 120*time.Second)
		t.Logf("restarted API server, readyz: %s", line)
		// It stays unready: the post-start hooks finish, kms-providers never
		// passes, and neither does informer-sync (the API server's own
		// Secret informer cannot list what it cannot decrypt).
		last := eventually(t, "readyz failing on kms-providers and informer-sync alone", 60*time.Second, func() (bool, string) {
			code, body, _ := c.api.readyz()
			f := strings.Split(failing(body), "; ")
			sort.Strings(f)
			return code == http.StatusInternalServerError && strings.Join(f, "; ") == "[-]informer-sync failed: reason withheld; [-]kms-providers failed: reason withheld",
				fmt.Sprintf("HTTP %d %s", code, strings.Join(f, "; "))
		})
		t.Logf("restarted API server, readyz: %s", last)
		// The log (-v=2) names the informers behind informer-sync: once the
		// others have synced, Secrets' alone.
		t.Logf("restarted API server, its log: %s", eventually(t, "informer-sync waiting on the Secret informer alone", 30*time.Second, func() (bool, string) {
			_, _, _ = c.api.readyz()
			last := "no informer-sync line in the log"
			for _, l := range strings.Split(c.api.proc.tail(2000), "\n") {
				if strings.Contains(l, "[-]informer-sync failed: ") {
					last = l
				}
			}
			return strings.HasSuffix(last, "[-]informer-sync failed: 1 informers not started yet: [*v1.Secret]"), last
		}))

		_, err := c.getSecret("before-rotation")
		if err == nil {
			t.Fatal("GET before-rotation succeeded on an API server that never reached OpenBao")
		}
		t.Logf("observed: GET of a Secret on the restarted API server: %v (HTTP %d)", err, httpCode(err))
		if !apierrors.IsInternalError(err) {
			t.Errorf("GET before-rotation = %v, want an internal error (HTTP 500): the value cannot be decrypted", err)
		}
		restarted := marker("secret")
		err = c.createSecret("while-restarted", restarted)
		if err == nil {
			t.Fatal("a Secret write succeeded on an API server that never reached OpenBao (identity fallback?)")
		}
		t.Logf("observed: a Secret write on the restarted API server: %v (HTTP %d)", err, httpCode(err))
		if !apierrors.IsInternalError(err) {
			t.Errorf("Secret write on the restarted API server = %v, want an internal error (HTTP 500): nothing to encrypt with", err)
		}
		if _, found := c.etcd.get(t, "/registry/secrets/"+ns+"/while-restarted"); found {
			t.Error("etcd holds the Secret whose write failed")
		}
		if code, _, _ := c.api.readyz(); code == http.StatusOK {
			t.Error("readyz turned 200 with OpenBao still unreachable")
		}
		c.allEncrypted(t)
		c.notInEtcd(t, restarted)
	})

	step("OpenBao back: every Secret reads, nothing lost", func(t *testing.T) {
		c.proxy.open(t)
		c.api.waitReady(t, 60*time.Second)
		list, err := c.api.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, s := range list.Items {
			got[s.Name] = string(s.Data["value"])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Secrets after OpenBao came back = %v, want %v", names(got), names(want))
		}
		for name, v := range want {
			if s, err := c.getSecret(name); err != nil || string(s.Data["value"]) != v {
				t.Errorf("GET %s after OpenBao came back: %v (value intact: %v)", name, err, err == nil && string(s.Data["value"]) == v)
			}
		}
		if n := c.allEncrypted(t); n != len(want) {
			t.Errorf("etcd holds %d Secrets, want %d", n, len(want))
		}
		var markers []string
		for _, v := range want {
			markers = append(markers, v)
		}
		c.notInEtcd(t, markers...)
	})

	step("plugin with a token lacking the policy fails the kms check", func(t *testing.T) {
		bad := filepath.Join(c.plugin.dir, "token-without-policy")
		c.bao.Token(t, bad, "default")
		c.plugin.proc.stop(t)
		c.plugin.start(t, bad)
		st := pluginStatus(t, c.plugin)
		if st.Healthz == kmsplugin.Healthy || !strings.Contains(st.Healthz, "403") {
			t.Errorf("plugin Status with a token lacking the policy = %+v, want unhealthy naming the 403", st)
		}
		t.Logf("readyz with the plugin on a token lacking the policy: %s", c.kmsCheckFails(t, 60*time.Second))
		// readyz withholds the reason; the API server's log (-v=2) has it,
		// so the failure is the 403, not a plugin the API server lost.
		t.Logf("the API server's log: %s", eventually(t, "the API server logging the plugin's 403", 30*time.Second, func() (bool, string) {
			for _, l := range strings.Split(c.api.proc.tail(2000), "\n") {
				if strings.Contains(l, "unexpected healthz status") && strings.Contains(l, "403") && strings.Contains(l, "kms-providers") {
					return true, l
				}
			}
			return false, "no log line with the kms-providers check's 403"
		}))
	})
}

// httpCode is the HTTP status of an API error, 0 for another error.
func httpCode(err error) int32 {
	var s apierrors.APIStatus
	if errors.As(err, &s) {
		return s.Status().Code
	}
	return 0
}

func names(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
