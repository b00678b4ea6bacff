#!/usr/bin/env bash
# The README's main-job command (`npm start`): installs what it needs on a fresh clone (Node 24,
# npm packages, Kafka jars, Kubernetes binaries; cached outside the repo), then runs the whole
# system locally until Ctrl-C. See scripts/demo.ts.
source "$(dirname "$0")/lib/env.sh"
cd "$PROJECT_ROOT"
exec node scripts/demo.ts "$@"
