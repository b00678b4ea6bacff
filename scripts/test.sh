#!/usr/bin/env bash
# The README's test command (`npm test`). On a fresh clone it installs what the suite needs
# (Node 24, npm packages, Kafka jars, Kubernetes binaries; all cached outside the repo), runs
# the type-check and the linter, then every test under test/ with a real Kafka broker and a
# real kube-apiserver + etcd + kube-controller-manager started once for the run.
#   bash scripts/test.sh                  everything
#   bash scripts/test.sh test/unit/x.test.ts ...   only those files (checks skipped)
source "$(dirname "$0")/lib/env.sh"
# lua5.1 (Argo CD health check), shellcheck and hadolint for the packaging tests.
source "$(dirname "$0")/lib/ensure-tools.sh"
cd "$PROJECT_ROOT"

if [[ $# -eq 0 ]]; then
  log "type-check (tsc)"
  node_modules/.bin/tsc -p tsconfig.json
  log "lint and format check (biome)"
  node_modules/.bin/biome check --error-on-warnings .
  set -- $(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
fi

log "preparing test infrastructure (cached after the first run)"
node test/infra/prepare.ts

log "running ${#} test files"
exec node --test \
  --test-global-setup=test/infra/global-setup.ts \
  --test-concurrency="${TEST_CONCURRENCY:-3}" \
  --test-timeout="${TEST_TIMEOUT_MS:-300000}" \
  --test-reporter=spec \
  "$@"
