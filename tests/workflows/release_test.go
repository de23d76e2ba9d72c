package workflows

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// TestCIReleaseProbe_PushesTheProbeImageByDigestToALoopbackRegistry runs
// the release workflow's step (lab/ci.sh release-probe) for real: the probe
// is built, written as an image by mkimage and pushed to a registry on
// 127.0.0.1 (go-containerregistry's own registry, lab/tools/probe's
// ociregistry); the printed digest reference must be the sha256 of the
// manifest the registry serves under the tag, and that image must run the
// probe.
func TestCIReleaseProbe_PushesTheProbeImageByDigestToALoopbackRegistry(t *testing.T) {
	root := labenv.RepoRoot(t)
	bin := filepath.Join(t.TempDir(), "ociregistry")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ociregistry")
	build.Dir = filepath.Join(root, "lab", "tools", "probe")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the loopback registry: %v\n%s", err, out)
	}
	reg := exec.Command(bin)
	stdout, err := reg.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Process.Kill(); _ = reg.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("the registry printed %q (%v), want its 127.0.0.1 address", addr, err)
	}
	addr = strings.TrimSpace(addr)

	repo := addr + "/rampart/probe"
	out, status := script(t, []string{"PROBE_IMAGE_REPO=" + repo, "GITHUB_TOKEN=", "GITHUB_ACTIONS=", "RUNNER_TEMP=", "TMPDIR=" + t.TempDir()},
		"ci.sh", "release-probe", "v0.0.0-test")
	if status != 0 {
		t.Fatalf("release-probe: exit %d:\n%s", status, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	ref := lines[len(lines)-1]
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(repo) + `@(sha256:[0-9a-f]{64})$`).FindStringSubmatch(ref)
	if m == nil {
		t.Fatalf("release-probe's last line %q is not a digest reference of %s", ref, repo)
	}
	manifest := get(t, "http://"+addr+"/v2/rampart/probe/manifests/v0.0.0-test", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	if sum := sha256.Sum256(manifest); "sha256:"+hex.EncodeToString(sum[:]) != m[1] {
		t.Fatalf("the tag's manifest hashes to sha256:%x, but release-probe printed %s", sum, m[1])
	}
	var mf struct {
		Config struct{ Digest string }   `json:"config"`
		Layers []struct{ Digest string } `json:"layers"`
	}
	if err := json.Unmarshal(manifest, &mf); err != nil || len(mf.Layers) != 1 {
		t.Fatalf("manifest %s: %v, %d layers; want one layer", manifest, err, len(mf.Layers))
	}
	var cfg struct {
		Architecture string `json:"architecture"`
		Config       struct {
			Entrypoint []string `json:"Entrypoint"`
		} `json:"config"`
	}
	if err := json.Unmarshal(get(t, "http://"+addr+"/v2/rampart/probe/blobs/"+mf.Config.Digest, ""), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Architecture != "amd64" || strings.Join(cfg.Config.Entrypoint, " ") != "/probe" {
		t.Errorf("image config: architecture %q, entrypoint %q; want amd64 and /probe", cfg.Architecture, cfg.Config.Entrypoint)
	}
	t.Logf("pushed %s", ref)
}

// TestCIReleaseProbe_RefusesWithoutARepository: no repository, nothing
// built or pushed.
func TestCIReleaseProbe_RefusesWithoutARepository(t *testing.T) {
	out, status := script(t, []string{"PROBE_IMAGE_REPO="}, "ci.sh", "release-probe", "v1.0.0")
	if status == 0 || !strings.Contains(out, "PROBE_IMAGE_REPO is empty") {
		t.Errorf("exit %d, output %q; want a refusal naming PROBE_IMAGE_REPO", status, out)
	}
	if out, status := script(t, nil, "ci.sh", "release-probe"); status == 0 || !strings.Contains(out, "usage: lab/ci.sh release-probe TAG") {
		t.Errorf("without a tag: exit %d, output %q", status, out)
	}
}

// get fetches url (with an Accept header when accept is set) and returns
// the body of a 200.
func get(t *testing.T, url, accept string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v: %s", url, resp.StatusCode, err, body)
	}
	return body
}
