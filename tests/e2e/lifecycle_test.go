package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/compliance"
	// report is the drift reports' name in this file.
	compliancereport "github.com/rampart-dev/rampart/compliance/report"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/drift"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
	appsv1api "k8s.io/api/apps/v1"
	corev1api "k8s.io/api/core/v1"
	networkingv1api "k8s.io/api/networking/v1"
	rbacv1api "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestE2E_LocalLab_UpPreviewRefreshDriftRestoreDestroy drives the real
// pulumi CLI and kubernetes plugin against the lab's kube-apiserver in the
// order Pulumi's own packages use: up → preview (no changes) → refresh (no
// changes) → out-of-band edits → drift found → up restores → destroy leaves
// nothing. Admission and audit checks run while the stack is up.
func TestE2E_LocalLab_UpPreviewRefreshDriftRestoreDestroy(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	teamA, teamB := prefix+"team-a", prefix+"team-b"
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			_, _ = l.stk.Destroy(ctx)
		}
	})

	// The CLI the PR workflow runs (lab/ci.sh preview), built once.
	rampart := testkit.BuildRampart(t, "../..")
	stackFlags := []string{"--stack", l.stk.Name(), "--dir", l.stk.Workspace().WorkDir(), "-q"}

	t.Run("rampart preview: the PR comment groups changes by component and control", func(t *testing.T) {
		code, md := rampart(t, append([]string{"preview"}, stackFlags...)...)
		if code != 0 {
			t.Fatalf("rampart preview: exit %d", code)
		}
		for _, want := range []string{"to create", "### rampart:namespace:Namespace", "### rampart:netpol:Policies",
			"Controls: Pod Security Standard set to restricted", "| create | " + teamA + "-policies-" + netpol.DefaultDenyName + " |"} {
			if !strings.Contains(md, want) {
				t.Errorf("preview comment lacks %q:\n%s", want, md)
			}
		}
	})

	up, err := l.stk.Up(ctx, optup.ProgressStreams(logWriter{T: t}))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	names, _ := up.Outputs["namespaces"].Value.([]any)
	if len(names) != 10 {
		t.Fatalf("namespaces output = %v, want 8 platform + 2 tenants", names)
	}
	for _, ns := range names {
		got, err := l.kube.CoreV1().Namespaces().Get(ctx, ns.(string), metav1.GetOptions{})
		if err != nil {
			t.Fatalf("namespace %v not on the API server: %v", ns, err)
		}
		want := "restricted"
		if ns == prefix+"falco" {
			want = "privileged"
		}
		if got.Labels[namespace.LabelEnforce] != want || got.Labels[namespace.LabelAudit] != "restricted" {
			t.Errorf("%v labels = %v", ns, got.Labels)
		}
		pols, err := l.kube.NetworkingV1().NetworkPolicies(ns.(string)).List(ctx, metav1.ListOptions{})
		if err != nil || len(pols.Items) < 3 {
			t.Errorf("%v policies = %v, %v", ns, pols, err)
		}
	}
	sa, err := l.kube.CoreV1().ServiceAccounts(teamA).Get(ctx, "default", metav1.GetOptions{})
	if err != nil || sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("default ServiceAccount of %s = %+v, %v; want automount off", teamA, sa, err)
	}

	t.Run("compliance assessment of the deployed state passes", func(t *testing.T) {
		a, err := compliance.FromStack(ctx, l.stk, compliance.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var md strings.Builder
		must(t, compliancereport.Markdown(&md, a))
		t.Log(md.String())
		if a.Failed() || a.Refreshed || a.Profile != "local" {
			t.Errorf("assessment after up: failed %v, refreshed %v, profile %q", a.Failed(), a.Refreshed, a.Profile)
		}
		for _, id := range []string{"netpol", "pss-restricted", "ssrf-blocklist"} {
			if r, _ := a.Result(id); r.Verdict != compliance.Pass || len(r.Evidence) == 0 {
				t.Errorf("%s = %s with %d facts, want pass", id, r.Verdict, len(r.Evidence))
			}
		}
		if r, _ := a.Result("pss-restricted"); !hasEvidence(r, "::"+prefix+"falco-ns", namespace.LabelEnforce, true) {
			t.Errorf("falco's exemption is not in the evidence: %+v", r.Evidence)
		}
	})

	t.Run("preview expects no changes", func(t *testing.T) {
		if _, err := l.stk.Preview(ctx, optpreview.ExpectNoChanges()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refresh expects no changes", func(t *testing.T) {
		if _, err := l.stk.Refresh(ctx, optrefresh.ExpectNoChanges()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("PSA rejects a privileged pod and admits Rampart's restricted pod", func(t *testing.T) {
		privileged := true
		_, err := l.kube.CoreV1().Pods(teamA).Create(ctx, &corev1api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "privileged"},
			Spec: corev1api.PodSpec{Containers: []corev1api.Container{{Name: "c", Image: "busybox",
				SecurityContext: &corev1api.SecurityContext{Privileged: &privileged}}}},
		}, metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `violates PodSecurity "restricted:latest"`) {
			t.Fatalf("privileged pod: err = %v, want a PodSecurity rejection", err)
		}
		spec := renderedRestrictedSpec(t)
		pod, err := l.kube.CoreV1().Pods(teamA).Create(ctx, &corev1api.Pod{ObjectMeta: metav1.ObjectMeta{Name: "compliant"}, Spec: *spec}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("restricted pod rejected by the real admission: %v", err)
		}
		t.Logf("admitted pod %s (phase %s: no nodes in the lab)", pod.Name, pod.Status.Phase)
		must(t, l.kube.CoreV1().Pods(teamA).Delete(ctx, "compliant", metav1.DeleteOptions{}))

		// The controller manager turns a Deployment into a Pod, which the real
		// admission lets in and which stays Pending (no scheduler, no nodes).
		replicas := int32(1)
		labels := map[string]string{"app": "probe"}
		_, err = l.kube.AppsV1().Deployments(teamA).Create(ctx, &appsv1api.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "probe"},
			Spec: appsv1api.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1api.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: *spec}},
		}, metav1.CreateOptions{})
		must(t, err)
		deadline := time.Now().Add(30 * time.Second)
		for {
			pods, err := l.kube.CoreV1().Pods(teamA).List(ctx, metav1.ListOptions{LabelSelector: "app=probe"})
			must(t, err)
			if len(pods.Items) == 1 && pods.Items[0].Status.Phase == corev1api.PodPending {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("deployment created no Pending pod: %+v", pods.Items)
			}
			time.Sleep(250 * time.Millisecond)
		}
		must(t, l.kube.AppsV1().Deployments(teamA).Delete(ctx, "probe", metav1.DeleteOptions{}))
	})

	t.Run("audit log follows the sovereign-cloud hardening guide's policy", func(t *testing.T) {
		id := fmt.Sprint(time.Now().UnixNano())
		secret := "audit-probe-" + id
		_, err := l.kube.CoreV1().Secrets(teamA).Create(ctx, &corev1api.Secret{ObjectMeta: metav1.ObjectMeta{Name: secret},
			StringData: map[string]string{"k": "v"}}, metav1.CreateOptions{})
		must(t, err)
		_, err = l.kube.CoreV1().Secrets(teamA).Get(ctx, secret, metav1.GetOptions{})
		must(t, err)
		rb := "audit-probe-" + id
		_, err = l.kube.RbacV1().RoleBindings(teamA).Create(ctx, &rbacv1api.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: rb},
			RoleRef:  rbacv1api.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1api.Subject{{Kind: "User", Name: "auditor"}}}, metav1.CreateOptions{})
		must(t, err)
		secretGet := waitAudit(t, l.env["RAMPART_LAB_AUDIT_LOG"], "get", "secrets", secret)
		if secretGet.Level != "Metadata" || secretGet.RequestObject != nil || secretGet.ResponseObject != nil {
			t.Errorf("secret read logged at %s (request body %v): want Metadata without payload", secretGet.Level, secretGet.RequestObject != nil)
		}
		rbCreate := waitAudit(t, l.env["RAMPART_LAB_AUDIT_LOG"], "create", "rolebindings", rb)
		if rbCreate.Level != "RequestResponse" || rbCreate.RequestObject == nil || rbCreate.ResponseObject == nil {
			t.Errorf("rolebinding change logged at %s: want RequestResponse with both bodies", rbCreate.Level)
		}
		_ = l.kube.CoreV1().Secrets(teamA).Delete(ctx, secret, metav1.DeleteOptions{})
		_ = l.kube.RbacV1().RoleBindings(teamA).Delete(ctx, rb, metav1.DeleteOptions{})
	})

	t.Run("out-of-band edits are found as drift and up restores them", func(t *testing.T) {
		// 1. Weaken Pod Security on a tenant namespace.
		patch := fmt.Sprintf(`[{"op":"remove","path":"/metadata/labels/%s"}]`, strings.ReplaceAll(namespace.LabelEnforce, "/", "~1"))
		_, err := l.kube.CoreV1().Namespaces().Patch(ctx, teamA, types.JSONPatchType, []byte(patch), metav1.PatchOptions{FieldManager: "intruder"})
		must(t, err)
		// 2. Delete a default-deny policy.
		must(t, l.kube.NetworkingV1().NetworkPolicies(teamB).Delete(ctx, netpol.DefaultDenyName, metav1.DeleteOptions{}))
		// 3. Open SSH egress to anywhere in the DNS policy.
		dns, err := l.kube.NetworkingV1().NetworkPolicies(teamA).Get(ctx, netpol.AllowDNSName, metav1.GetOptions{})
		must(t, err)
		ssh := intstr.FromInt32(22)
		dns.Spec.Egress = append(dns.Spec.Egress, networkingv1api.NetworkPolicyEgressRule{
			To:    []networkingv1api.NetworkPolicyPeer{{IPBlock: &networkingv1api.IPBlock{CIDR: "0.0.0.0/0"}}},
			Ports: []networkingv1api.NetworkPolicyPort{{Port: &ssh}},
		})
		_, err = l.kube.NetworkingV1().NetworkPolicies(teamA).Update(ctx, dns, metav1.UpdateOptions{FieldManager: "intruder"})
		must(t, err)
		// 4. Widen tenant isolation's same-namespace egress peer to every
		// namespace (a key added inside a declared rule).
		iso, err := l.kube.NetworkingV1().NetworkPolicies(teamB).Get(ctx, netpol.TenantIsolationName, metav1.GetOptions{})
		must(t, err)
		iso.Spec.Egress[0].To[0].NamespaceSelector = &metav1.LabelSelector{}
		_, err = l.kube.NetworkingV1().NetworkPolicies(teamB).Update(ctx, iso, metav1.UpdateOptions{FieldManager: "intruder"})
		must(t, err)
		// 5. Turn a default-deny into allow-all egress (a field it never declares).
		_, err = l.kube.NetworkingV1().NetworkPolicies(teamA).Patch(ctx, netpol.DefaultDenyName, types.MergePatchType,
			[]byte(`{"spec":{"egress":[{}]}}`), metav1.PatchOptions{FieldManager: "intruder"})
		must(t, err)

		report, err := drift.Detect(ctx, l.stk)
		if err != nil {
			t.Fatal(err)
		}
		var md strings.Builder
		_ = report.Markdown(&md)
		t.Log(md.String())
		for name, op := range map[string]string{
			teamA + "-ns": "update",
			teamB + "-policies-" + netpol.DefaultDenyName: "create",
			// Invisible to the provider's diff (it prunes live arrays to the
			// declared length): found by drift's own comparison, replaced.
			teamA + "-policies-" + netpol.AllowDNSName:        "replace",
			teamA + "-policies-" + netpol.DefaultDenyName:     "replace",
			teamB + "-policies-" + netpol.TenantIsolationName: "replace",
		} {
			c, ok := report.Find(name)
			if !ok || c.Op != op {
				t.Errorf("drift of %s = %+v (found %v), want op %s", name, c, ok, op)
			}
		}
		if len(report.Changes) != 5 {
			t.Errorf("drift found %d changes, want exactly the 5 edits", len(report.Changes))
		}

		// drift.Detect refreshed the state already: assessing with refresh
		// changes nothing the restore below depends on.
		weakened, err := compliance.FromStack(ctx, l.stk, compliance.Options{Refresh: true, Progress: logWriter{T: t}})
		if err != nil {
			t.Fatal(err)
		}
		md.Reset()
		must(t, compliancereport.Markdown(&md, weakened))
		t.Log(md.String())
		if !weakened.Failed() || !weakened.Refreshed {
			t.Errorf("assessment of the weakened cluster: failed %v, refreshed %v", weakened.Failed(), weakened.Refreshed)
		}
		for _, want := range []struct{ item, urn, field string }{
			{"pss-restricted", "::" + teamA + "-ns", namespace.LabelEnforce},
			{"netpol", "::" + teamB + "-ns", teamB + "/" + netpol.DefaultDenyName},
			{"netpol", "::" + teamA + "-policies-" + netpol.DefaultDenyName, "spec"},
			{"netpol", "::" + teamB + "-policies-" + netpol.TenantIsolationName, "spec"},
			{"ssrf-blocklist", "::" + teamA + "-policies-" + netpol.AllowDNSName, "ipBlock"},
		} {
			r, _ := weakened.Result(want.item)
			if r.Verdict != compliance.Fail || !hasEvidence(r, want.urn, want.field, false) {
				t.Errorf("%s = %s, want a failure on *%s %s: %+v", want.item, r.Verdict, want.urn, want.field, r.Evidence)
			}
		}
		for _, want := range []string{"| Namespace " + teamA + "-ns | `metadata.labels[\"" + namespace.LabelEnforce + "\"]` | `(absent)` |",
			"| Namespace " + teamB + "-ns | `NetworkPolicy " + teamB + "/" + netpol.DefaultDenyName + "` | `absent` |"} {
			if !strings.Contains(md.String(), want) {
				t.Errorf("assessment report lacks %q", want)
			}
		}

		// The CLI a scheduled job runs says the same with its exit code.
		if code, out := rampart(t, append([]string{"check", "--refresh"}, stackFlags...)...); code != 2 ||
			!strings.Contains(out, "| Namespace "+teamB+"-ns | `NetworkPolicy "+teamB+"/"+netpol.DefaultDenyName+"` | `absent` |") {
			t.Errorf("rampart check --refresh on the weakened cluster: exit %d, want 2 and the missing default-deny named:\n%s", code, out)
		}
		if code, out := rampart(t, append([]string{"drift"}, stackFlags...)...); code != 2 ||
			!strings.Contains(out, teamB+"-policies-"+netpol.DefaultDenyName) {
			t.Errorf("rampart drift on the weakened cluster: exit %d, want 2 naming the deleted default-deny:\n%s", code, out)
		}

		if err := drift.Remediate(ctx, l.stk, report, optup.ProgressStreams(logWriter{T: t})); err != nil {
			t.Fatalf("up to restore: %v", err)
		}
		ns, err := l.kube.CoreV1().Namespaces().Get(ctx, teamA, metav1.GetOptions{})
		if err != nil || ns.Labels[namespace.LabelEnforce] != "restricted" {
			t.Errorf("enforce label not restored: %v %v", ns.Labels, err)
		}
		if _, err := l.kube.NetworkingV1().NetworkPolicies(teamB).Get(ctx, netpol.DefaultDenyName, metav1.GetOptions{}); err != nil {
			t.Errorf("default-deny not restored: %v", err)
		}
		iso, err = l.kube.NetworkingV1().NetworkPolicies(teamB).Get(ctx, netpol.TenantIsolationName, metav1.GetOptions{})
		if err != nil || iso.Spec.Egress[0].To[0].NamespaceSelector != nil {
			t.Errorf("tenant isolation egress not restored: %+v (%v)", iso.Spec.Egress, err)
		}
		deny, err := l.kube.NetworkingV1().NetworkPolicies(teamA).Get(ctx, netpol.DefaultDenyName, metav1.GetOptions{})
		if err != nil || len(deny.Spec.Egress) != 0 {
			t.Errorf("default-deny egress = %v (%v), want none", deny, err)
		}
		dns, err = l.kube.NetworkingV1().NetworkPolicies(teamA).Get(ctx, netpol.AllowDNSName, metav1.GetOptions{})
		if err != nil || len(dns.Spec.Egress) != 1 {
			t.Errorf("allow-dns egress rules = %d (%v), want the 1 Rampart declares", len(dns.Spec.Egress), err)
		}
		after, err := drift.Detect(ctx, l.stk)
		if err != nil || after.Drifted {
			t.Errorf("drift after restore: %+v, %v", after, err)
		}
		restored, err := compliance.FromStack(ctx, l.stk, compliance.Options{Refresh: true, Progress: logWriter{T: t}})
		if err != nil || restored.Failed() {
			var md strings.Builder
			if restored != nil {
				_ = compliancereport.Markdown(&md, restored)
			}
			t.Errorf("assessment after restore fails (%v):\n%s", err, md.String())
		}
		if code, out := rampart(t, append([]string{"check"}, stackFlags...)...); code != 0 {
			t.Errorf("rampart check after restore: exit %d, want 0:\n%s", code, out)
		}
	})

	t.Run("destroy leaves no managed object behind", func(t *testing.T) {
		if _, err := l.stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
			t.Fatal(err)
		}
		destroyed = true
		list, err := l.kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: namespace.LabelManagedBy + "=rampart"})
		must(t, err)
		for _, ns := range list.Items {
			if strings.HasPrefix(ns.Name, prefix) {
				t.Errorf("namespace %s left behind (phase %s)", ns.Name, ns.Status.Phase)
			}
		}
		pols, err := l.kube.NetworkingV1().NetworkPolicies("").List(ctx, metav1.ListOptions{LabelSelector: namespace.LabelManagedBy + "=rampart"})
		must(t, err)
		for _, p := range pols.Items {
			if strings.HasPrefix(p.Namespace, prefix) {
				t.Errorf("policy %s/%s left behind", p.Namespace, p.Name)
			}
		}
		_ = l.stk.Workspace().RemoveStack(ctx, l.stk.Name())
	})
}

// hasEvidence reports a fact of r on the resource whose URN ends with
// urnSuffix, whose field contains field, exempted (exempt) or failing.
func hasEvidence(r compliance.Result, urnSuffix, field string, exempt bool) bool {
	for _, e := range r.Evidence {
		if strings.HasSuffix(e.URN, urnSuffix) && strings.Contains(e.Field, field) && e.Exempt == exempt && !e.OK {
			return true
		}
	}
	return false
}

// renderedRestrictedSpec is the pod spec Rampart's hardening package renders,
// as the provider would receive it.
func renderedRestrictedSpec(t *testing.T) *corev1api.PodSpec {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := newPod(ctx)
		return err
	})
	must(t, err)
	pods := rec.ByType("kubernetes:core/v1:Pod")
	spec, err := hardening.PodSpecFromMap(pods[0].Plain()["spec"].(map[string]any))
	must(t, err)
	return spec
}

type auditEvent struct {
	Level     string `json:"level"`
	Verb      string `json:"verb"`
	ObjectRef struct {
		Resource string `json:"resource"`
		Name     string `json:"name"`
	} `json:"objectRef"`
	Stage          string          `json:"stage"`
	RequestObject  json.RawMessage `json:"requestObject"`
	ResponseObject json.RawMessage `json:"responseObject"`
}

// waitAudit polls the lab's audit log for the ResponseComplete event of one
// request.
func waitAudit(t *testing.T, path, verb, resource, name string) auditEvent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		f, err := os.Open(path)
		must(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var ev auditEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Verb == verb && ev.ObjectRef.Resource == resource &&
				ev.ObjectRef.Name == name && ev.Stage == "ResponseComplete" {
				f.Close()
				return ev
			}
		}
		f.Close()
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("no audit event for %s %s/%s in %s", verb, resource, name, path)
	return auditEvent{}
}
