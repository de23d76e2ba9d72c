# Rampart. The two commands of the README are `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

up: ## build the toolchain if missing, start the lab, pulumi up the local stack, print outputs + checklist
	bash lab/up.sh

test: ## every tier: unit + policy (mocks), server-backed (lab servers), e2e (real pulumi + kube-apiserver)
	bash lab/test.sh

lint: ## gofmt, go vet, golangci-lint (errcheck, staticcheck, revive, gosec; built from the module proxy)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	@. lab/versions.env; bin=$${RAMPART_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/rampart}/gobin; \
	  "$$bin/golangci-lint" version 2>/dev/null | grep -q "$$GOLANGCI_LINT_VERSION" || \
	  GOBIN=$$bin go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v$$GOLANGCI_LINT_VERSION; \
	  "$$bin/golangci-lint" run ./...

scan: ## security scans of .github/workflows/security.yml: Trivy config over the rendered manifests, gitleaks, govulncheck
	bash lab/scan.sh all

bench: ## Go benchmarks (mocks: the program, the compliance assessment) and the local stack's CLI timings
	go test -run '^$$' -bench . -benchmem ./bench/... ./compliance/...
	bash bench/cli.sh

lab-up: ## start the lab servers (idempotent)
	bash lab/deps.sh && bash lab/toolchain.sh --for test && bash lab/lab.sh up

lab-down: ## stop the lab's own processes
	bash lab/lab.sh down

fresh-check: ## the new-user path with every cache in a temp folder: clone, toolchain, make up, make test, timed
	bash lab/fresh-check.sh

toolchain: ## build the source-built toolchain into the cache
	bash lab/toolchain.sh

clean: ## stop the lab and remove its state (keeps the toolchain and Go caches)
	bash lab/lab.sh down
	rm -rf "$${RAMPART_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/rampart}/lab" "$${RAMPART_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/rampart}/state"

.PHONY: help up test lint scan bench lab-up lab-down toolchain fresh-check clean
