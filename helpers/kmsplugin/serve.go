package kmsplugin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	kmsapi "k8s.io/kms/apis/v2"
	"k8s.io/kms/pkg/service"
)

// Serve answers kube-apiserver's KMS v2 calls on the unix socket listen
// (unix:///…) with svc until ctx ends, then stops gracefully and removes
// the socket. k8s.io/kms's GRPCService adapts svc to the gRPC API; Serve
// owns the listener and the server, so a stale socket left by a killed
// plugin is replaced and a stop is never lost. timeout bounds each
// connection's handshake, as GRPCService's own listener does.
func Serve(ctx context.Context, listen string, timeout time.Duration, svc service.Service) error {
	sock, err := SocketPath(listen)
	if err != nil {
		return fmt.Errorf("rampart-kms: --listen %q: %w", listen, err)
	}
	if err := removeStaleSocket(sock); err != nil {
		return err
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("rampart-kms: listen on %s: %w (does its directory exist and belong to the plugin's user?)", sock, err)
	}
	gs := grpc.NewServer(grpc.ConnectionTimeout(timeout))
	kmsapi.RegisterKeyManagementServiceServer(gs, service.NewGRPCService(sock, timeout, svc))
	done := make(chan error, 1)
	go func() { done <- gs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("rampart-kms: serve %s: %w", sock, err)
	case <-ctx.Done():
		gs.GracefulStop() // also closes ln, which removes the socket file
		<-done
		return nil
	}
}

// removeStaleSocket removes a socket file left at path by an earlier
// plugin; a socket something still answers on, or anything else at path,
// is refused, never deleted.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("rampart-kms: %w", err)
	case fi.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf("rampart-kms: %s exists and is not a socket: remove it or choose another --listen path in %s", path, filepath.Dir(path))
	}
	if c, err := net.Dial("unix", path); err == nil {
		_ = c.Close()
		return fmt.Errorf("rampart-kms: another process serves %s: stop it or choose another --listen path", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("rampart-kms: remove stale socket: %w", err)
	}
	return nil
}
