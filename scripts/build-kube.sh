#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and etcd for the test control plane from the Go
# module proxy into $PROJECT_CACHE/kube/<version>/bin (once; a warm cache returns at once).
source "$(dirname "$0")/lib/env.sh"
cd "$PROJECT_ROOT"
exec node test/infra/kube/prepare-cli.ts
