/**
 * The alerting rules, one source for config/monitoring/rules/alpaca-forwarder.rules.yaml (plain
 * Prometheus) and config/monitoring/prometheusrule.yaml (Prometheus Operator); both are written
 * by scripts/generate-monitoring.ts and a test fails when either is stale.
 *
 * Label contract (docs/runbook.md "Labels"): forwarder series carry `namespace` and
 * `alpacaforwarder` (the operator's PodMonitor sets them from the pod; plain Prometheus users
 * relabel the same way); the operator's own series carry `namespace` (the operator's) and, for
 * per-resource counters, the resource's `namespace` and `name` (scraped with honor_labels).
 *
 * Only metric names that exist in forwarder/health/metrics.ts, forwarder/lease/metrics.ts and
 * operator/metrics.ts are used (test/unit/monitoring/alerts.test.ts checks it).
 */

export const RUNBOOK_URL = 'https://git.example.com/torghut/alpaca-forwarder/blob/main/docs/runbook.md';

export interface AlertRule {
  alert: string;
  /** The expression without its threshold: what a healthy, scraped system returns series for. */
  series: string;
  /** Comparison appended to `series` to make the alert expression, e.g. '> 0.5' or '== 1'. */
  threshold: string;
  for: string;
  severity: 'critical' | 'warning';
  summary: string;
  description: string;
  /** Heading anchor in docs/runbook.md. */
  runbook: string;
}

const AF = '{{ $labels.namespace }}/{{ $labels.alpacaforwarder }}';
const BY_AF = 'namespace, alpacaforwarder';

/** Reconnects per minute above which a stream is flapping (the back-off caps at 30 s: 2/min). */
export const RECONNECTS_PER_MINUTE = 1;
/** Minutes not Ready before a person is paged. */
export const NOT_READY_MINUTES = 10;
/** spec.restartPolicy.on406.maxRestartsPerHour's default (design §4.2). */
export const RESTART_BUDGET_PER_HOUR = 3;
export const QUEUE_DEPTH_LIMIT = 50;

export const FORWARDER_ALERTS: AlertRule[] = [
  {
    alert: 'AlpacaForwarderReconnectsHigh',
    series: `sum by (${BY_AF}, stream) (increase(alpaca_forwarder_reconnects_total[10m])) / 10`,
    threshold: `> ${RECONNECTS_PER_MINUTE}`,
    for: '5m',
    severity: 'warning',
    summary: 'Alpaca stream reconnecting more than once a minute',
    description: `AlpacaForwarder ${AF}: the {{ $labels.stream }} stream reconnected {{ $value | humanize }} times a minute over 10 minutes (pod {{ $labels.pod }}). alpaca_forwarder_reconnects_total{reason} says why.`,
    runbook: 'reconnects-high',
  },
  {
    alert: 'AlpacaForwarderWsLagHigh',
    series: `histogram_quantile(0.99, sum by (${BY_AF}, channel, le) (rate(alpaca_forwarder_ws_lag_seconds_bucket[5m])))`,
    threshold: '> 0.5',
    for: '10m',
    severity: 'warning',
    summary: 'p99 WebSocket lag above 500 ms',
    description: `AlpacaForwarder ${AF}: p99 lag (ingest time minus Alpaca event time) of {{ $labels.channel }} is {{ $value | humanizeDuration }} over 5 minutes.`,
    runbook: 'ws-lag-high',
  },
  {
    alert: 'AlpacaForwarderNotReady',
    // One series per error_class; a forwarder not ready without a class (still connecting) keeps
    // an empty error_class.
    series: `max by (${BY_AF}, error_class) (alpaca_forwarder_readiness_error_class == 1) or on (${BY_AF}) (max by (${BY_AF}) (1 - alpaca_forwarder_ready))`,
    threshold: '== 1',
    for: `${NOT_READY_MINUTES}m`,
    severity: 'critical',
    summary: `Forwarder not Ready for ${NOT_READY_MINUTES} minutes`,
    description: `AlpacaForwarder ${AF} has not been Ready for ${NOT_READY_MINUTES} minutes (error_class "{{ $labels.error_class }}"; empty: still connecting). kubectl get af -n {{ $labels.namespace }} {{ $labels.alpacaforwarder }} -o wide shows the reason.`,
    runbook: 'not-ready',
  },
  {
    alert: 'AlpacaForwarder406Stalled',
    // max_over_time bridges the scrape gap while the operator replaces the pod.
    series: `max by (${BY_AF}) (max_over_time(alpaca_forwarder_readiness_error_class{error_class="alpaca_406_second_connection"}[2m]))`,
    threshold: '== 1',
    for: '10m',
    severity: 'critical',
    summary: 'Alpaca refuses the connection: another connection holds the account (406)',
    description: `AlpacaForwarder ${AF} has been refused with 406 "connection limit exceeded" for 10 minutes, past the operator's restart (spec.restartPolicy.on406). Something else is connected with the same key id.`,
    runbook: 'procedure-a-406-connection-limit',
  },
  {
    alert: 'AlpacaForwarderKafkaBufferOverflow',
    series: `sum by (${BY_AF}) (increase(alpaca_forwarder_kafka_buffer_overflow_total[5m]))`,
    threshold: '> 0',
    for: '0m',
    severity: 'critical',
    summary: 'Events dropped: the Kafka buffer is full',
    description: `AlpacaForwarder ${AF} dropped {{ $value | humanize }} records in 5 minutes because Kafka did not take them and the buffer (kafka.producer.maxBufferBytes) filled. Those events are missing from Kafka.`,
    runbook: 'kafka-buffer-overflow',
  },
  {
    alert: 'AlpacaForwarderKafkaSendFailures',
    series: `sum by (${BY_AF}, error_class) (rate(alpaca_forwarder_kafka_send_failures_total[5m]))`,
    threshold: '> 0',
    for: '5m',
    severity: 'warning',
    summary: 'Kafka sends failing',
    description: `AlpacaForwarder ${AF}: Kafka sends fail with {{ $labels.error_class }} ({{ $value | humanize }}/s over 5 minutes). Records wait in the buffer until it overflows.`,
    runbook: 'procedure-c-kafka-sasl-and-acl',
  },
  {
    alert: 'AlpacaForwarderGapFillFailed',
    series: `sum by (${BY_AF}, stream, reason) (increase(alpaca_forwarder_gap_fill_failures_total[30m]))`,
    threshold: '> 0',
    for: '0m',
    severity: 'warning',
    summary: 'A stream gap could not be filled over REST',
    description: `AlpacaForwarder ${AF}: a {{ $labels.stream }} gap was not filled ({{ $labels.reason }}); events in it may be missing. The status topic has a degraded event with gap_from and gap_to.`,
    runbook: 'unrecovered-gaps',
  },
  {
    alert: 'AlpacaForwarderTradeUpdatesGap',
    series: `sum by (${BY_AF}) (increase(alpaca_forwarder_trade_updates_gaps_total[30m]))`,
    threshold: '> 0',
    for: '0m',
    severity: 'warning',
    summary: 'Trade updates missed during a reconnect (not replayed by Alpaca)',
    description: `AlpacaForwarder ${AF}: the trade_updates stream had a gap; order updates in it are not in Kafka. The status topic has a trade_updates_gap event with gap_from and gap_to.`,
    runbook: 'unrecovered-gaps',
  },
  {
    alert: 'AlpacaForwarderChannelStale',
    // The gauge stays 1 across the stale reconnects until an event comes on the channel.
    series: `max by (${BY_AF}, channel) (alpaca_forwarder_channel_stale)`,
    threshold: '== 1',
    for: '5m',
    severity: 'critical',
    summary: 'A market-data channel that must flow is silent',
    description: `AlpacaForwarder ${AF}: no {{ $labels.channel }} have arrived in the regular session for channelStaleAfterMs plus 5 minutes, across reconnects (reason alpaca_stream_stale). Consumers are missing that channel.`,
    runbook: 'stale-channels',
  },
  {
    alert: 'AlpacaForwarderSymbolsStale',
    series: `max by (${BY_AF}, channel) (alpaca_forwarder_stale_symbols)`,
    threshold: '> 0',
    for: '15m',
    severity: 'warning',
    summary: 'Symbols went dark on a channel while the market is open',
    description: `AlpacaForwarder ${AF}: {{ $value }} subscribed symbols that traded today have had no {{ $labels.channel }} for channelStaleAfterMs plus 15 minutes. /readyz detail.freshness and the status topic's alpaca_symbols_stale event list them.`,
    runbook: 'stale-channels',
  },
  {
    alert: 'AlpacaForwarderSubscriptionIncomplete',
    series: `max by (${BY_AF}, channel) (alpaca_forwarder_subscription_missing_symbols)`,
    threshold: '> 0',
    for: '10m',
    severity: 'warning',
    summary: 'Alpaca did not acknowledge every wanted symbol',
    description: `AlpacaForwarder ${AF}: {{ $value }} wanted {{ $labels.channel }} symbols are missing from Alpaca's subscription acks after the forwarder's resubscribes; nothing arrives for them. /readyz detail.subscriptions lists them (error_class subscription_incomplete).`,
    runbook: 'subscription-incomplete',
  },
  {
    alert: 'AlpacaForwarderSymbolsSourceFailing',
    // -1 until the first success: a source that never answered shows as not ready instead.
    series: `max by (${BY_AF}) (alpaca_forwarder_symbols_source_last_success_age_seconds)`,
    threshold: '> 1800',
    for: '5m',
    severity: 'warning',
    summary: 'The remote symbol list has not been fetched for 30 minutes',
    description: `AlpacaForwarder ${AF}: spec.symbolsFrom.url has not answered with a valid list for {{ $value | humanizeDuration }}; the forwarder keeps the last good list. alpaca_forwarder_symbols_source_fetches_total{result} says why.`,
    runbook: 'symbols-source',
  },
];

export const OPERATOR_ALERTS: AlertRule[] = [
  {
    alert: 'AlpacaForwarderRestartBudgetSpent',
    series: 'sum by (namespace, name) (increase(alpaca_forwarder_operator_restarts_triggered_total[1h]))',
    threshold: `>= ${RESTART_BUDGET_PER_HOUR}`,
    for: '0m',
    severity: 'critical',
    summary: '406 restart budget spent: the operator has stopped restarting the pod',
    description: `AlpacaForwarder {{ $labels.namespace }}/{{ $labels.name }}: the operator restarted the forwarder pod {{ $value | humanize }} times in an hour for a 406 (budget ${RESTART_BUDGET_PER_HOUR}); the resource is Stalled until the window ends.`,
    runbook: 'procedure-a-406-connection-limit',
  },
  {
    alert: 'AlpacaForwarderOperatorReconcileErrors',
    series: 'sum by (namespace, kind) (rate(alpaca_forwarder_operator_reconcile_errors_total[5m]))',
    threshold: '> 0',
    for: '10m',
    severity: 'warning',
    summary: 'Operator reconciles failing',
    description:
      'The AlpacaForwarder operator in {{ $labels.namespace }} fails reconciles with {{ $labels.kind }} errors for 10 minutes; the affected AlpacaForwarders carry a ReconcileError Warning Event (kubectl get events -A --field-selector reason=ReconcileError).',
    runbook: 'operator-reconcile-errors',
  },
  {
    alert: 'AlpacaForwarderOperatorQueueDepth',
    series: 'max by (namespace) (alpaca_forwarder_operator_queue_depth)',
    threshold: `> ${QUEUE_DEPTH_LIMIT}`,
    for: '10m',
    severity: 'warning',
    summary: 'Operator work queue backing up',
    description: `The AlpacaForwarder operator in {{ $labels.namespace }} has {{ $value }} AlpacaForwarders waiting in its work queue for 10 minutes (limit ${QUEUE_DEPTH_LIMIT}); status and restarts lag behind.`,
    runbook: 'operator-queue-depth',
  },
  {
    alert: 'AlpacaForwarderOperatorNoLeader',
    series: 'sum by (namespace) (alpaca_forwarder_operator_leader)',
    threshold: '< 1',
    for: '5m',
    severity: 'critical',
    summary: 'No operator replica holds the leader Lease',
    description:
      'No AlpacaForwarder operator replica in {{ $labels.namespace }} has led for 5 minutes: nothing reconciles AlpacaForwarders and no 406 restart happens.',
    runbook: 'operator-no-leader',
  },
];

export const ALL_ALERTS: AlertRule[] = [...FORWARDER_ALERTS, ...OPERATOR_ALERTS];

export function alertExpr(rule: AlertRule): string {
  // `or` binds looser than a comparison: keep the threshold on the whole expression.
  return rule.series.includes(' or ')
    ? `(${rule.series}) ${rule.threshold}`
    : `${rule.series} ${rule.threshold}`;
}

export interface RuleGroup {
  name: string;
  rules: Array<Record<string, unknown>>;
}

/** The rule groups; `forOverride` replaces every `for` (the Prometheus integration test only). */
export function ruleGroups(options: { forOverride?: string } = {}): RuleGroup[] {
  const render = (r: AlertRule) => ({
    alert: r.alert,
    expr: alertExpr(r),
    for: options.forOverride ?? r.for,
    labels: { severity: r.severity },
    annotations: {
      summary: r.summary,
      description: r.description,
      runbook_url: `${RUNBOOK_URL}#${r.runbook}`,
    },
  });
  return [
    { name: 'alpaca-forwarder', rules: FORWARDER_ALERTS.map(render) },
    { name: 'alpaca-forwarder-operator', rules: OPERATOR_ALERTS.map(render) },
  ];
}
