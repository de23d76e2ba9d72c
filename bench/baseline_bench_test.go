// Package bench measures Rampart's program under the recording mock; `make
// bench` runs it. Figures are printed, never asserted.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/stacks"
)

func offline(context.Context, string) ([]netip.Addr, error) { return nil, fmt.Errorf("offline") }

// BenchmarkBaseline runs the whole program (config load + validation +
// registration) for N tenants, without and with the ingress component (one
// HTTPS route per tenant), and reports resources registered per second.
func BenchmarkBaseline(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		for _, withIngress := range []bool{false, true} {
			name := fmt.Sprintf("tenants=%d", n)
			if withIngress {
				name += ",ingress"
			}
			b.Run(name, func(b *testing.B) { benchProgram(b, n, withIngress) })
		}
	}
}

// benchProgram measures one configuration.
func benchProgram(b *testing.B, n int, withIngress bool) {
	tenants := make([]map[string]string, n)
	routes := make([]map[string]any, n)
	for i := range tenants {
		tenants[i] = map[string]string{"name": fmt.Sprintf("tenant-%04d", i)}
		routes[i] = map[string]any{"host": fmt.Sprintf("t%04d.bench.example", i), "namespace": tenants[i]["name"],
			"backend": map[string]any{"service": "web", "port": 8080}}
	}
	raw, _ := json.Marshal(tenants)
	cfg := map[string]string{"rampart:profile": "local", "rampart:tenants": string(raw)}
	if withIngress {
		in, _ := json.Marshal(map[string]any{"enabled": true, "domain": "bench.example", "routes": routes})
		cfg["rampart:ingress"] = string(in)
	}
	b.ReportAllocs()
	total := 0
	for b.Loop() {
		rec := recmock.New()
		err := rec.Run(func(ctx *pulumi.Context) error {
			c, err := config.LoadWith(ctx, offline)
			if err != nil {
				return err
			}
			return stacks.Run(ctx, c)
		}, recmock.WithConfig(cfg))
		if err != nil {
			b.Fatal(err)
		}
		total += rec.Len()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "resources/s")
	b.ReportMetric(float64(total)/float64(b.N), "resources/op")
}
