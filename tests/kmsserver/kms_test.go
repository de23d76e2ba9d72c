package kmsserver_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	kmsapi "k8s.io/kms/apis/v2"

	"github.com/rampart-dev/rampart/helpers/kmsplugin"
	"github.com/rampart-dev/rampart/internal/baodev"
	"github.com/rampart-dev/rampart/internal/labenv"
)

const (
	mount = "transit"
	key   = "kubernetes-kms"
)

// plugin runs a kmsplugin on a socket in dir until the test ends and
// returns the gRPC client kube-apiserver would use.
func plugin(t *testing.T, s *baodev.Server, dir, tokenFile string) kmsapi.KeyManagementServiceClient {
	t.Helper()
	o := kmsplugin.Options{Address: s.Addr, TransitMount: mount, KeyName: key, TokenFile: tokenFile, CAFile: s.CAFile,
		Listen: "unix://" + filepath.Join(dir, "kms.sock"), Timeout: 2 * time.Second, KeyRefresh: time.Second}
	p, err := kmsplugin.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- kmsplugin.Serve(ctx, o.Listen, o.Timeout, p) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	conn, err := grpc.NewClient(o.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return kmsapi.NewKeyManagementServiceClient(conn)
}

// status calls Status once the socket is up (the plugin starts in a goroutine).
func status(t *testing.T, c kmsapi.KeyManagementServiceClient) *kmsapi.StatusResponse {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := c.Status(ctx, &kmsapi.StatusRequest{})
		cancel()
		if err == nil {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("Status: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func encrypt(t *testing.T, c kmsapi.KeyManagementServiceClient, pt []byte) (*kmsapi.EncryptResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Encrypt(ctx, &kmsapi.EncryptRequest{Plaintext: pt, Uid: "test"})
}

func decrypt(t *testing.T, c kmsapi.KeyManagementServiceClient, ct []byte, keyID string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Decrypt(ctx, &kmsapi.DecryptRequest{Ciphertext: ct, KeyId: keyID, Uid: "test"})
	if err != nil {
		return nil, err
	}
	return res.Plaintext, nil
}

// TestKMSPlugin_ServerBacked_WrapsWithTheTransitKeyAndFailsClosed: against a
// real OpenBao, with a token carrying only kmsplugin.Policy, the plugin
// wraps and unwraps a data key, names the transit key version as key ID,
// follows a rotation while older ciphertext still decrypts, reports
// unhealthy with a token lacking the policy, and once OpenBao is stopped
// reports unhealthy and refuses to encrypt (no plaintext fallback).
func TestKMSPlugin_ServerBacked_WrapsWithTheTransitKeyAndFailsClosed(t *testing.T) {
	s := baodev.Start(t, labenv.OpenBao(t))
	s.Must(t, http.MethodPost, "sys/mounts/"+mount, map[string]any{"type": "transit"})
	s.Must(t, http.MethodPost, mount+"/keys/"+key, map[string]any{"type": "aes256-gcm96", "exportable": false})
	policy, err := kmsplugin.Policy(mount, key)
	if err != nil {
		t.Fatal(err)
	}
	s.Must(t, http.MethodPut, "sys/policies/acl/"+kmsplugin.PolicyName, map[string]any{"policy": string(policy)})

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	s.Token(t, tokenFile, kmsplugin.PolicyName)
	c := plugin(t, s, dir, tokenFile)

	if st := status(t, c); st.Healthz != kmsplugin.Healthy || st.Version != "v2" || st.KeyId != "1" {
		t.Fatalf("Status = %+v, want ok, v2, key ID 1", st)
	}

	dek := make([]byte, 32)
	_, _ = rand.Read(dek)
	enc1, err := encrypt(t, c, dek)
	if err != nil {
		t.Fatal(err)
	}
	if enc1.KeyId != "1" || !strings.HasPrefix(string(enc1.Ciphertext), "vault:v1:") || bytes.Contains(enc1.Ciphertext, dek) {
		t.Errorf("Encrypt = key ID %q, ciphertext %q; want key ID 1 and a vault:v1: ciphertext", enc1.KeyId, enc1.Ciphertext)
	}
	if got, err := decrypt(t, c, enc1.Ciphertext, enc1.KeyId); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Decrypt = %x, %v; want the data key back", got, err)
	}
	if _, err := decrypt(t, c, enc1.Ciphertext, "2"); err == nil || !strings.Contains(err.Error(), "mismatched") {
		t.Errorf("Decrypt with a key ID the ciphertext does not name: err = %v, want a refusal", err)
	}

	// The policy is narrow: the plugin's token cannot rotate the key, read
	// another one or make one through transit's upsert.
	tok, _ := os.ReadFile(tokenFile)
	for _, req := range []struct{ method, path string }{
		{http.MethodPost, mount + "/keys/" + key + "/rotate"},
		{http.MethodPost, mount + "/encrypt/other-key"},
		{http.MethodGet, mount + "/keys/other-key"},
		{http.MethodGet, "sys/mounts"},
	} {
		if code, _ := s.Call(t, strings.TrimSpace(string(tok)), req.method, req.path, map[string]any{"plaintext": "AA=="}); code != http.StatusForbidden {
			t.Errorf("plugin token: %s %s = HTTP %d, want 403", req.method, req.path, code)
		}
	}

	t.Run("rotation", func(t *testing.T) {
		s.Must(t, http.MethodPost, mount+"/keys/"+key+"/rotate", nil)
		enc2, err := encrypt(t, c, dek)
		if err != nil {
			t.Fatal(err)
		}
		if enc2.KeyId != "2" || !strings.HasPrefix(string(enc2.Ciphertext), "vault:v2:") {
			t.Errorf("Encrypt after rotation = key ID %q, ciphertext %q; want 2", enc2.KeyId, enc2.Ciphertext)
		}
		if got, err := decrypt(t, c, enc1.Ciphertext, enc1.KeyId); err != nil || !bytes.Equal(got, dek) {
			t.Errorf("Decrypt of the version-1 ciphertext after rotation = %x, %v", got, err)
		}
		if st := status(t, c); st.Healthz != kmsplugin.Healthy || st.KeyId != "2" {
			t.Errorf("Status after rotation = %+v, want ok with key ID 2", st)
		}
	})

	t.Run("token without the policy", func(t *testing.T) {
		// Same file, replaced by a rename: the plugin reads it again.
		s.Token(t, tokenFile, "default")
		time.Sleep(1100 * time.Millisecond) // past KeyRefresh, so Status reads the key again
		st := status(t, c)
		if st.Healthz == kmsplugin.Healthy || !strings.Contains(st.Healthz, "403") || strings.Contains(st.Healthz, "\n") {
			t.Errorf("Status with a token lacking the policy = %+v, want unhealthy naming the 403 on one line (the API server logs it as it is)", st)
		}
		if _, err := encrypt(t, c, dek); err == nil {
			t.Error("Encrypt succeeded with a token lacking the policy")
		}
		s.Token(t, tokenFile, kmsplugin.PolicyName)
		if st := status(t, c); st.Healthz != kmsplugin.Healthy {
			t.Errorf("Status after the token file got a good token again = %+v, want ok", st)
		}
	})

	t.Run("OpenBao stopped", func(t *testing.T) {
		s.Stop(t)
		st := status(t, c)
		if st.Healthz == kmsplugin.Healthy {
			t.Errorf("Status with OpenBao stopped = %+v, want unhealthy", st)
		}
		t.Logf("Status with OpenBao stopped: healthz %q", st.Healthz)
		if res, err := encrypt(t, c, dek); err == nil {
			t.Errorf("Encrypt with OpenBao stopped returned %q, want an error (no plaintext fallback)", res.Ciphertext)
		}
		if _, err := decrypt(t, c, enc1.Ciphertext, enc1.KeyId); err == nil {
			t.Error("Decrypt with OpenBao stopped succeeded")
		}
	})
}
