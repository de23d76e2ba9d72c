// Command ociregistry is a loopback OCI registry for tests:
// go-containerregistry's in-memory registry (pkg/registry) on 127.0.0.1 at
// a free port, which it prints as the first line of stdout ("127.0.0.1:N").
// It serves until SIGTERM or SIGINT; nothing is kept on disk.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("ociregistry: listen: %v", err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(os.Stderr, "ociregistry: ", 0))), ReadHeaderTimeout: 10 * time.Second}
	fmt.Println(ln.Addr().String())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatalf("ociregistry: %v", err)
	}
}
