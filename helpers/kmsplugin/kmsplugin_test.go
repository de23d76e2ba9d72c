package kmsplugin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2/hclsimple"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/kmsplugin"
)

func TestPolicy_GrantsOnlyEncryptDecryptAndReadOnTheOneKey(t *testing.T) {
	b, err := kmsplugin.Policy("", "")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Paths []struct {
			Path string   `hcl:"path,label"`
			Caps []string `hcl:"capabilities"`
		} `hcl:"path,block"`
	}
	if err := hclsimple.Decode("policy.hcl", b, nil, &p); err != nil {
		t.Fatalf("policy does not parse: %v\n%s", err, b)
	}
	got := map[string]string{}
	for _, r := range p.Paths {
		got[r.Path] = strings.Join(r.Caps, ",")
	}
	want := map[string]string{
		"transit/encrypt/kubernetes-kms": "update",
		"transit/decrypt/kubernetes-kms": "update",
		"transit/keys/kubernetes-kms":    "read",
	}
	if len(got) != len(want) {
		t.Errorf("policy = %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: capabilities %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range [][2]string{{"transit", "*"}, {"transit", "../sys"}, {"/transit", "k"}, {"transit", "a/b"}} {
		if _, err := kmsplugin.Policy(bad[0], bad[1]); err == nil {
			t.Errorf("Policy(%q, %q) rendered: a name must stay one path segment", bad[0], bad[1])
		}
	}
}

func TestOptions_RefuseWhatWouldLeakOrMisroute(t *testing.T) {
	ok := kmsplugin.Options{Address: "https://openbao.example:8200", TokenFile: "/etc/rampart-kms/token"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for name, c := range map[string]struct {
		mod  func(*kmsplugin.Options)
		want string
	}{
		"http":           {func(o *kmsplugin.Options) { o.Address = "http://openbao.example:8200" }, "--address: \"http://openbao.example:8200\": not an https URL"},
		"address path":   {func(o *kmsplugin.Options) { o.Address = "https://openbao.example/v1" }, "--address"},
		"no token file":  {func(o *kmsplugin.Options) { o.TokenFile = "" }, "--token-file: \"\": required"},
		"relative token": {func(o *kmsplugin.Options) { o.TokenFile = "token" }, "--token-file: \"token\": not an absolute path"},
		"tcp listen":     {func(o *kmsplugin.Options) { o.Listen = "tcp://127.0.0.1:1" }, "--listen"},
		"two slashes":    {func(o *kmsplugin.Options) { o.Listen = "unix://var/run/kms.sock" }, "three slashes"},
		"key path":       {func(o *kmsplugin.Options) { o.KeyName = "../../sys/raw" }, "--key-name"},
		"timeout":        {func(o *kmsplugin.Options) { o.Timeout = time.Minute }, "--timeout: \"1m0s\": outside"},
		"refresh":        {func(o *kmsplugin.Options) { o.KeyRefresh = time.Millisecond }, "--key-refresh"},
	} {
		o := ok
		c.mod(&o)
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), " — ") {
			t.Errorf("%s: err = %v, want %q and a fix", name, err, c.want)
		}
	}
}

func TestStaticPod_RestrictedButForTheHostNetworkAndHostPaths(t *testing.T) {
	args := &kmsplugin.PodArgs{
		Image:  "registry.example/rampart-kms@sha256:" + strings.Repeat("a", 64),
		Plugin: kmsplugin.Options{Address: "https://openbao.example:8200", CAFile: "/etc/rampart-kms/ca.crt"},
	}
	b, err := kmsplugin.RenderStaticPod(args)
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(b, &pod); err != nil {
		t.Fatalf("rendering does not read back as a Pod: %v\n%s", err, b)
	}
	// Only what a static KMS plugin cannot do without may fail restricted.
	err = hardening.CheckRestricted(&pod.Spec)
	if err == nil {
		t.Fatal("the pod passes restricted although it uses the host network and hostPath volumes")
	}
	for _, part := range strings.Split(strings.SplitN(err.Error(), ": ", 2)[1], "; ") {
		if !strings.HasPrefix(part, "host namespaces") && !strings.HasPrefix(part, "restricted volume types") {
			t.Errorf("restricted violation beyond host network and hostPath: %s", part)
		}
	}
	c := pod.Spec.Containers[0]
	sc := c.SecurityContext
	if !*pod.Spec.SecurityContext.RunAsNonRoot || *pod.Spec.SecurityContext.RunAsUser != kmsplugin.DefaultRunAsUser ||
		!*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || sc.Capabilities.Drop[0] != "ALL" ||
		pod.Spec.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("security context weaker than intended: pod %+v container %+v", pod.Spec.SecurityContext, sc)
	}
	if c.Image != args.Image {
		t.Errorf("image = %q", c.Image)
	}
	ro := map[string]bool{}
	for _, m := range c.VolumeMounts {
		ro[m.MountPath] = m.ReadOnly
	}
	if !ro[kmsplugin.DefaultTokenFile] || !ro["/etc/rampart-kms/ca.crt"] || ro["/var/run/kmsplugin"] {
		t.Errorf("mounts = %v, want token and CA read-only, the socket directory writable", c.VolumeMounts)
	}
	args2 := strings.Join(c.Args, " ")
	for _, want := range []string{"--token-file=" + kmsplugin.DefaultTokenFile, "--listen=" + kmsplugin.DefaultListen, "--ca-file=/etc/rampart-kms/ca.crt"} {
		if !strings.Contains(args2, want) {
			t.Errorf("args %q lack %s", args2, want)
		}
	}
	for _, e := range c.Env {
		if strings.Contains(strings.ToUpper(e.Name), "TOKEN") {
			t.Errorf("the token reaches the plugin through the environment (%s)", e.Name)
		}
	}
}

func TestStaticPod_RefusesAnImageWithoutDigest(t *testing.T) {
	_, err := kmsplugin.StaticPod(&kmsplugin.PodArgs{Image: "registry.example/rampart-kms:latest", Plugin: kmsplugin.Options{Address: "https://openbao.example:8200"}})
	if err == nil || !strings.Contains(err.Error(), "pinned by digest") {
		t.Errorf("err = %v, want the digest asked for", err)
	}
}
