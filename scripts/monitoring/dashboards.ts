/**
 * The Grafana dashboards (config/monitoring/dashboards/*.json, written by
 * scripts/generate-monitoring.ts). Importable as is: a `datasource` variable picks the
 * Prometheus data source, `namespace` and `alpacaforwarder` variables filter (label contract in
 * scripts/monitoring/alerts.ts). Panels on failure counters end in `or vector(0)` so a healthy
 * forwarder shows 0, not "No data".
 */

export interface Panel {
  title: string;
  /** Grafana panel type. */
  type: 'timeseries' | 'stat' | 'heatmap';
  unit: string;
  targets: Array<{ expr: string; legend: string }>;
  description?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  file: string;
  /** Label that names the resource in this dashboard's series. */
  resourceLabel: 'alpacaforwarder' | 'name' | null;
  panels: Panel[];
}

const F = '{namespace=~"$namespace", alpacaforwarder=~"$alpacaforwarder"}';
const R = '$__rate_interval';

export const FORWARDER_DASHBOARD: Dashboard = {
  uid: 'alpaca-forwarder',
  title: 'Alpaca forwarder',
  file: 'alpaca-forwarder.json',
  resourceLabel: 'alpacaforwarder',
  panels: [
    {
      title: 'Ready',
      type: 'stat',
      unit: 'none',
      description: '1 when /readyz answers 200',
      targets: [
        {
          expr: `max by (namespace, alpacaforwarder) (alpaca_forwarder_ready${F})`,
          legend: '{{alpacaforwarder}}',
        },
      ],
    },
    {
      title: 'Readiness by error_class',
      type: 'timeseries',
      unit: 'none',
      description: 'The current /readyz error_class (one-hot); all 0 when Ready',
      targets: [
        {
          expr: `max by (alpacaforwarder, error_class) (alpaca_forwarder_readiness_error_class${F})`,
          legend: '{{alpacaforwarder}} {{error_class}}',
        },
      ],
    },
    {
      title: 'Readiness gates',
      type: 'timeseries',
      unit: 'none',
      description: '1 open, 0 closed, -1 disabled',
      targets: [
        {
          expr: `max by (alpacaforwarder, gate) (alpaca_forwarder_readiness_gate${F})`,
          legend: '{{alpacaforwarder}} {{gate}}',
        },
      ],
    },
    {
      title: 'Events received per channel',
      type: 'timeseries',
      unit: 'ops',
      targets: [
        {
          expr: `sum by (alpacaforwarder, channel) (rate(alpaca_forwarder_events_received_total${F}[${R}]))`,
          legend: '{{alpacaforwarder}} {{channel}}',
        },
      ],
    },
    {
      title: 'Events forwarded per channel',
      type: 'timeseries',
      unit: 'ops',
      targets: [
        {
          expr: `sum by (alpacaforwarder, channel) (rate(alpaca_forwarder_events_forwarded_total${F}[${R}]))`,
          legend: '{{alpacaforwarder}} {{channel}}',
        },
      ],
    },
    {
      title: 'Records acknowledged by Kafka per topic',
      type: 'timeseries',
      unit: 'ops',
      targets: [
        {
          expr: `sum by (alpacaforwarder, topic) (rate(alpaca_forwarder_kafka_records_delivered_total${F}[${R}]))`,
          legend: '{{alpacaforwarder}} {{topic}}',
        },
      ],
    },
    {
      title: 'Events deduplicated and dropped',
      type: 'timeseries',
      unit: 'ops',
      targets: [
        {
          expr: `sum by (alpacaforwarder, channel) (rate(alpaca_forwarder_events_deduplicated_total${F}[${R}])) or vector(0)`,
          legend: 'dedup {{alpacaforwarder}} {{channel}}',
        },
        {
          expr: `sum by (alpacaforwarder, channel, reason) (rate(alpaca_forwarder_events_dropped_total${F}[${R}])) or vector(0)`,
          legend: 'dropped {{alpacaforwarder}} {{channel}} {{reason}}',
        },
      ],
    },
    {
      title: 'WebSocket lag p50 / p99 per channel',
      type: 'timeseries',
      unit: 's',
      description: 'Ingest time minus Alpaca event time (WebSocket events only)',
      targets: [
        {
          expr: `histogram_quantile(0.5, sum by (alpacaforwarder, channel, le) (rate(alpaca_forwarder_ws_lag_seconds_bucket${F}[${R}])))`,
          legend: 'p50 {{alpacaforwarder}} {{channel}}',
        },
        {
          expr: `histogram_quantile(0.99, sum by (alpacaforwarder, channel, le) (rate(alpaca_forwarder_ws_lag_seconds_bucket${F}[${R}])))`,
          legend: 'p99 {{alpacaforwarder}} {{channel}}',
        },
      ],
    },
    {
      title: 'WebSocket lag histogram',
      type: 'heatmap',
      unit: 's',
      targets: [
        {
          expr: `sum by (le) (rate(alpaca_forwarder_ws_lag_seconds_bucket${F}[${R}]))`,
          legend: '{{le}}',
        },
      ],
    },
    {
      title: 'Kafka send latency p50 / p99',
      type: 'timeseries',
      unit: 's',
      targets: [
        {
          expr: `histogram_quantile(0.5, sum by (alpacaforwarder, le) (rate(alpaca_forwarder_kafka_send_latency_seconds_bucket${F}[${R}])))`,
          legend: 'p50 {{alpacaforwarder}}',
        },
        {
          expr: `histogram_quantile(0.99, sum by (alpacaforwarder, le) (rate(alpaca_forwarder_kafka_send_latency_seconds_bucket${F}[${R}])))`,
          legend: 'p99 {{alpacaforwarder}}',
        },
      ],
    },
    {
      title: 'Kafka buffer',
      type: 'timeseries',
      unit: 'bytes',
      targets: [
        {
          expr: `max by (alpacaforwarder) (alpaca_forwarder_kafka_buffer_bytes${F})`,
          legend: '{{alpacaforwarder}}',
        },
      ],
    },
    {
      title: 'Backlog: records accepted, not yet acked by Kafka',
      type: 'timeseries',
      unit: 'short',
      targets: [
        {
          expr: `max by (alpacaforwarder) (alpaca_forwarder_backlog_events${F})`,
          legend: '{{alpacaforwarder}}',
        },
      ],
    },
    {
      title: 'Kafka buffer overflow and send failures',
      type: 'timeseries',
      unit: 'ops',
      targets: [
        {
          expr: `sum by (alpacaforwarder, topic) (rate(alpaca_forwarder_kafka_buffer_overflow_total${F}[${R}])) or vector(0)`,
          legend: 'overflow {{alpacaforwarder}} {{topic}}',
        },
        {
          expr: `sum by (alpacaforwarder, error_class) (rate(alpaca_forwarder_kafka_send_failures_total${F}[${R}])) or vector(0)`,
          legend: 'failed {{alpacaforwarder}} {{error_class}}',
        },
      ],
    },
    {
      title: 'Reconnects by stream and reason',
      type: 'timeseries',
      unit: 'opm',
      targets: [
        {
          expr: `sum by (alpacaforwarder, stream, reason) (increase(alpaca_forwarder_reconnects_total${F}[${R}])) or vector(0)`,
          legend: '{{alpacaforwarder}} {{stream}} {{reason}}',
        },
      ],
    },
    {
      title: 'Stream state',
      type: 'timeseries',
      unit: 'none',
      targets: [
        {
          expr: `max by (alpacaforwarder, stream, status) (alpaca_forwarder_stream_state${F}) == 1`,
          legend: '{{alpacaforwarder}} {{stream}} {{status}}',
        },
      ],
    },
    {
      title: 'Connection Lease held',
      type: 'timeseries',
      unit: 'none',
      description: '1 held, 0 waiting, -1 disabled',
      targets: [
        {
          expr: `max by (alpacaforwarder, pod) (alpaca_forwarder_lease_held${F})`,
          legend: '{{alpacaforwarder}} {{pod}}',
        },
      ],
    },
    {
      title: 'Unrecovered gaps',
      type: 'timeseries',
      unit: 'short',
      targets: [
        {
          expr: `sum by (alpacaforwarder, stream, reason) (increase(alpaca_forwarder_gap_fill_failures_total${F}[1h])) or vector(0)`,
          legend: 'gap fill failed {{alpacaforwarder}} {{stream}} {{reason}}',
        },
        {
          expr: `sum by (alpacaforwarder) (increase(alpaca_forwarder_trade_updates_gaps_total${F}[1h]))`,
          legend: 'trade_updates gaps {{alpacaforwarder}}',
        },
      ],
    },
  ],
};

const O = '{namespace=~"$namespace"}';

export const OPERATOR_DASHBOARD: Dashboard = {
  uid: 'alpaca-forwarder-operator',
  title: 'Alpaca forwarder operator',
  file: 'alpaca-forwarder-operator.json',
  resourceLabel: null,
  panels: [
    {
      title: 'Leader',
      type: 'stat',
      unit: 'none',
      targets: [
        { expr: `sum by (namespace) (alpaca_forwarder_operator_leader${O})`, legend: '{{namespace}}' },
      ],
    },
    {
      title: 'Reconciles by result',
      type: 'timeseries',
      unit: 'ops',
      targets: [
        {
          expr: `sum by (result) (rate(alpaca_forwarder_operator_reconciles_total${O}[${R}]))`,
          legend: '{{result}}',
        },
      ],
    },
    {
      title: 'Reconcile errors by kind',
      type: 'timeseries',
      unit: 'ops',
      targets: [
        {
          expr: `sum by (kind) (rate(alpaca_forwarder_operator_reconcile_errors_total${O}[${R}])) or vector(0)`,
          legend: '{{kind}}',
        },
      ],
    },
    {
      title: 'Reconcile duration p50 / p99',
      type: 'timeseries',
      unit: 's',
      targets: [
        {
          expr: `histogram_quantile(0.5, sum by (le) (rate(alpaca_forwarder_operator_reconcile_duration_seconds_bucket${O}[${R}])))`,
          legend: 'p50',
        },
        {
          expr: `histogram_quantile(0.99, sum by (le) (rate(alpaca_forwarder_operator_reconcile_duration_seconds_bucket${O}[${R}])))`,
          legend: 'p99',
        },
      ],
    },
    {
      title: 'Work queue depth',
      type: 'timeseries',
      unit: 'short',
      targets: [{ expr: `max by (pod) (alpaca_forwarder_operator_queue_depth${O})`, legend: '{{pod}}' }],
    },
    {
      title: 'Watch restarts by resource and reason',
      type: 'timeseries',
      unit: 'short',
      targets: [
        {
          expr: `sum by (resource, reason) (increase(alpaca_forwarder_operator_watch_restarts_total${O}[${R}])) or vector(0)`,
          legend: '{{resource}} {{reason}}',
        },
      ],
    },
    {
      title: 'Forwarder restarts triggered (406 policy), last hour',
      type: 'timeseries',
      unit: 'short',
      description: 'Per AlpacaForwarder (namespace/name of the resource, not of the operator)',
      targets: [
        {
          expr: 'sum by (namespace, name) (increase(alpaca_forwarder_operator_restarts_triggered_total[1h]))',
          legend: '{{namespace}}/{{name}}',
        },
      ],
    },
  ],
};

export const DASHBOARDS: Dashboard[] = [FORWARDER_DASHBOARD, OPERATOR_DASHBOARD];

/** Every PromQL expression of a dashboard. */
export function dashboardQueries(d: Dashboard): Array<{ panel: string; expr: string }> {
  return d.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
}

/** The Grafana JSON model (schemaVersion 39, Grafana 10/11). */
export function grafanaJson(d: Dashboard): Record<string, unknown> {
  // Grafana's own variable syntax, not a template literal.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable reference
  const ds = { type: 'prometheus', uid: '${datasource}' };
  const variables: Array<Record<string, unknown>> = [
    {
      name: 'datasource',
      label: 'Data source',
      type: 'datasource',
      query: 'prometheus',
      current: {},
      hide: 0,
    },
    labelVariable(
      'namespace',
      d.resourceLabel === 'alpacaforwarder' ? 'alpaca_forwarder_ready' : 'alpaca_forwarder_operator_leader',
    ),
  ];
  if (d.resourceLabel === 'alpacaforwarder') {
    variables.push(labelVariable('alpacaforwarder', 'alpaca_forwarder_ready{namespace=~"$namespace"}'));
  }
  return {
    uid: d.uid,
    title: d.title,
    tags: ['torghut', 'alpaca-forwarder'],
    timezone: 'utc',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: variables },
    annotations: { list: [] },
    panels: d.panels.map((p, i) => ({
      id: i + 1,
      title: p.title,
      type: p.type,
      description: p.description ?? '',
      datasource: ds,
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      options: {},
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: ds,
        expr: t.expr,
        legendFormat: t.legend,
      })),
    })),
  };

  function labelVariable(name: string, metric: string): Record<string, unknown> {
    return {
      name,
      label: name,
      type: 'query',
      datasource: ds,
      query: { query: `label_values(${metric}, ${name})`, refId: `${name}-values` },
      definition: `label_values(${metric}, ${name})`,
      includeAll: true,
      multi: true,
      allValue: '.*',
      current: { text: 'All', value: '$__all' },
      refresh: 2,
      sort: 1,
      hide: 0,
    };
  }
}
