#!/usr/bin/env bash
# End-to-end on kind (needs a Docker engine, so it runs in external CI: .github/workflows/e2e-kind.yml):
#   1. create a kind cluster;
#   2. build the operator, forwarder and simulator images and side-load them (kind load);
#   3. install the operator exactly as users do: kubectl apply --server-side -k config/default;
#   4. start a single-node KRaft Kafka and the Alpaca simulator (infra.yaml), create the topics;
#   5. apply an AlpacaForwarder on the simulator's test feed (forwarder.yaml);
#   6. assert the resource becomes Ready and a FAKEPACA quote envelope lands in Kafka;
#   7. delete the cluster (also on failure, after printing diagnostics).
# Needs docker, kind and kubectl on PATH.
#   bash test/e2e/kind/run.sh
# Environment: KIND_CLUSTER (alpaca-e2e), KIND_NODE_IMAGE (kind's default for its version),
# KAFKA_IMAGE (apache/kafka:4.1.2), KEEP_CLUSTER=1 keeps the cluster for debugging.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"

CLUSTER="${KIND_CLUSTER:-alpaca-e2e}"
KAFKA_IMAGE="${KAFKA_IMAGE:-apache/kafka:4.1.2}"
# The tags config/default deploys (config/manager: image and FORWARDER_IMAGE); a unit test keeps
# them in step, so the side-loaded images are used as they are (imagePullPolicy IfNotPresent).
OPERATOR_IMAGE=alpaca-forwarder-operator:0.1.0
FORWARDER_IMAGE=alpaca-forwarder:0.1.0
SIM_IMAGE=alpaca-sim:e2e
OPERATOR_NS=alpaca-forwarder-system
NS=alpaca-e2e
TOPICS=(torghut.trades.v1 torghut.quotes.v1 torghut.bars.1m.v1 torghut.status.v1 torghut.trade-updates.v1)

log() { printf '[e2e] %s\n' "$*" >&2; }
k() { kubectl --context "kind-$CLUSTER" "$@"; }

diagnostics() {
  log "diagnostics"
  k get alpacaforwarders -A -o yaml || true
  k get all,events -n "$NS" || true
  k get all,events -n "$OPERATOR_NS" || true
  k logs -n "$OPERATOR_NS" -l app.kubernetes.io/name=alpaca-forwarder-operator --all-containers --tail=200 || true
  k logs -n "$NS" -l app.kubernetes.io/instance=e2e --all-containers --tail=200 || true
  k logs -n "$NS" kafka --tail=100 || true
  k logs -n "$NS" alpaca-sim --tail=100 || true
}

cleanup() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then diagnostics; fi
  if [[ "${KEEP_CLUSTER:-0}" == 1 ]]; then
    log "keeping cluster $CLUSTER (kind delete cluster --name $CLUSTER)"
  else
    kind delete cluster --name "$CLUSTER" || true
  fi
  exit "$rc"
}

for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || { log "$tool is not on PATH"; exit 1; }
done

log "creating kind cluster $CLUSTER"
trap cleanup EXIT
kind create cluster --name "$CLUSTER" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 180s

log "building images"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
docker build -f Dockerfile.operator --build-arg REVISION="$revision" -t "$OPERATOR_IMAGE" .
docker build -f Dockerfile.forwarder --build-arg REVISION="$revision" -t "$FORWARDER_IMAGE" .
docker build -f test/e2e/kind/Dockerfile.sim -t "$SIM_IMAGE" .
kind load docker-image --name "$CLUSTER" "$OPERATOR_IMAGE" "$FORWARDER_IMAGE" "$SIM_IMAGE"

log "installing the operator (config/default)"
k apply --server-side -k config/default
# Not `kubectl wait --for=condition=Established`: on a CRD created a moment ago it fails with
# `.status.conditions accessor error: <nil>` before the API server has written any condition.
for _ in $(seq 1 600); do
  [ "$(k get crd alpacaforwarders.torghut.io -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}')" = True ] && break
  sleep 0.1
done
[ "$(k get crd alpacaforwarders.torghut.io -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}')" = True ] \
  || { echo "the CRD alpacaforwarders.torghut.io was not Established within 60 s" >&2; exit 1; }
k -n "$OPERATOR_NS" rollout status deployment/alpaca-forwarder-operator --timeout=300s

log "starting Kafka ($KAFKA_IMAGE) and the Alpaca simulator"
sed "s|image: KAFKA_IMAGE|image: $KAFKA_IMAGE|" test/e2e/kind/infra.yaml | k apply --server-side -f -
k -n "$NS" wait --for=condition=Ready pod/kafka pod/alpaca-sim --timeout=300s
for topic in "${TOPICS[@]}"; do
  k -n "$NS" exec kafka -- /opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 \
    --create --if-not-exists --topic "$topic" --partitions 3 --replication-factor 1
done

log "applying the AlpacaForwarder"
k apply --server-side -f test/e2e/kind/forwarder.yaml
k -n "$NS" wait --for=condition=Ready alpacaforwarder/e2e --timeout=300s

log "reading one quote from torghut.quotes.v1"
record="$(k -n "$NS" exec kafka -- /opt/kafka/bin/kafka-console-consumer.sh \
  --bootstrap-server localhost:9092 --topic torghut.quotes.v1 --from-beginning \
  --max-messages 1 --timeout-ms 120000 --property print.key=true --property key.separator='|')"
log "record: $record"
key="${record%%|*}"
value="${record#*|}"
[[ "$key" == FAKEPACA ]] || { log "expected key FAKEPACA, got '$key'"; exit 1; }
for field in '"symbol":"FAKEPACA"' '"channel":"quotes"' '"feed":"test"' '"schema_version":1'; do
  [[ "$value" == *"$field"* ]] || { log "the envelope lacks $field"; exit 1; }
done
log "PASS: AlpacaForwarder e2e is Ready and its quotes reach Kafka"
