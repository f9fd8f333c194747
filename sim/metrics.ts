/**
 * Istio's standard request metrics, kept in memory and rendered in the Prometheus text exposition
 * format (version 0.0.4), the way an Envoy sidecar's /stats/prometheus shows them:
 * `istio_requests_total` (counter) and `istio_request_duration_milliseconds` (histogram with
 * Istio's default buckets). Pure: no clock, no I/O.
 */

/** Istio's default buckets for istio_request_duration_milliseconds, in milliseconds. */
export const ISTIO_DURATION_BUCKETS_MS: readonly number[] = [
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/** Label names and values of one series, in the order they are rendered. */
export type Labels = readonly (readonly [string, string])[];

/** Escape a label value: backslash, double quote and newline, as the text format requires. */
export function escapeLabelValue(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A sample value as Prometheus parses it (`+Inf`, `NaN`, plain decimal otherwise). */
export function formatValue(value: number): string {
    if (Number.isNaN(value)) {
        return "NaN";
    }
    if (value === Infinity) {
        return "+Inf";
    }
    if (value === -Infinity) {
        return "-Inf";
    }
    return String(value);
}

export function renderLabels(labels: Labels): string {
    if (labels.length === 0) {
        return "";
    }
    return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** What one simulated request looks like to an Istio proxy's stats filter. */
export interface RequestLabelsArgs {
    /** "source" (client sidecar) or "destination" (server sidecar). */
    reporter: "source" | "destination";
    /** Calling workload (a Deployment name), e.g. "loadgenerator". */
    sourceWorkload: string;
    sourceNamespace: string;
    /** Kubernetes Service name of the destination. */
    serviceName: string;
    serviceNamespace: string;
    /** Version label of the destination pod, "unknown" when no pod was chosen (NR, NC). */
    destinationVersion: string;
    /** HTTP status code. */
    responseCode: number;
    /** Envoy response flags, "-" for none (e.g. "UO" for circuit-breaker overflow). */
    responseFlags: string;
}

/**
 * The standard label set of istio_requests_total (Istio's "Standard Metrics" page), with
 * Deployments named `<service>-<version>` as in the config contract. Peer identities use the
 * namespaces' default service accounts.
 */
export function istioRequestLabels(a: RequestLabelsArgs): Labels {
    const unknown = a.destinationVersion === "unknown";
    const destWorkload = unknown ? "unknown" : `${a.serviceName}-${a.destinationVersion}`;
    const fqdn = `${a.serviceName}.${a.serviceNamespace}.svc.cluster.local`;
    return [
        ["reporter", a.reporter],
        ["source_workload", a.sourceWorkload],
        ["source_workload_namespace", a.sourceNamespace],
        ["source_principal", `spiffe://cluster.local/ns/${a.sourceNamespace}/sa/default`],
        ["source_app", a.sourceWorkload],
        ["source_version", "unknown"],
        ["source_canonical_service", a.sourceWorkload],
        ["source_canonical_revision", "latest"],
        ["source_cluster", "Kubernetes"],
        ["destination_workload", destWorkload],
        ["destination_workload_namespace", unknown ? "unknown" : a.serviceNamespace],
        [
            "destination_principal",
            unknown ? "unknown" : `spiffe://cluster.local/ns/${a.serviceNamespace}/sa/default`,
        ],
        ["destination_app", unknown ? "unknown" : a.serviceName],
        ["destination_version", a.destinationVersion],
        ["destination_service", fqdn],
        ["destination_service_name", a.serviceName],
        ["destination_service_namespace", a.serviceNamespace],
        ["destination_canonical_service", unknown ? "unknown" : a.serviceName],
        ["destination_canonical_revision", a.destinationVersion === "unknown" ? "latest" : a.destinationVersion],
        ["destination_cluster", "Kubernetes"],
        ["request_protocol", "http"],
        ["response_code", String(a.responseCode)],
        ["grpc_response_status", ""],
        ["response_flags", a.responseFlags],
        ["connection_security_policy", a.reporter === "destination" ? "mutual_tls" : "unknown"],
    ];
}

interface CounterSeries {
    labels: Labels;
    value: number;
}

interface HistogramSeries {
    labels: Labels;
    /** Non-cumulative counts per bucket index; the last slot is +Inf. */
    counts: number[];
    sum: number;
    count: number;
}

/** In-memory istio_requests_total and istio_request_duration_milliseconds. */
export class IstioMetrics {
    private readonly requests = new Map<string, CounterSeries>();
    private readonly durations = new Map<string, HistogramSeries>();

    /**
     * Count one request and observe its duration.
     * @param durationMs request duration in milliseconds (>= 0).
     */
    record(labels: Labels, durationMs: number): void {
        const key = renderLabels(labels);
        const counter = this.requests.get(key) ?? { labels, value: 0 };
        counter.value += 1;
        this.requests.set(key, counter);

        const hist = this.durations.get(key) ?? {
            labels,
            counts: new Array<number>(ISTIO_DURATION_BUCKETS_MS.length + 1).fill(0),
            sum: 0,
            count: 0,
        };
        const idx = bucketIndex(durationMs);
        hist.counts[idx] = (hist.counts[idx] ?? 0) + 1;
        hist.sum += durationMs;
        hist.count += 1;
        this.durations.set(key, hist);
    }

    /** The exposition text (ends with a newline). */
    render(): string {
        const lines: string[] = [
            "# HELP istio_requests_total Counter incremented for every request handled by an Istio proxy",
            "# TYPE istio_requests_total counter",
        ];
        for (const s of this.requests.values()) {
            lines.push(`istio_requests_total${renderLabels(s.labels)} ${formatValue(s.value)}`);
        }
        lines.push(
            "# HELP istio_request_duration_milliseconds Histogram of request durations in milliseconds",
            "# TYPE istio_request_duration_milliseconds histogram",
        );
        for (const h of this.durations.values()) {
            let cumulative = 0;
            ISTIO_DURATION_BUCKETS_MS.forEach((le, i) => {
                cumulative += h.counts[i] ?? 0;
                lines.push(
                    `istio_request_duration_milliseconds_bucket${renderLabels([...h.labels, ["le", formatValue(le)]])} ${cumulative}`,
                );
            });
            lines.push(
                `istio_request_duration_milliseconds_bucket${renderLabels([...h.labels, ["le", "+Inf"]])} ${h.count}`,
                `istio_request_duration_milliseconds_sum${renderLabels(h.labels)} ${formatValue(h.sum)}`,
                `istio_request_duration_milliseconds_count${renderLabels(h.labels)} ${h.count}`,
            );
        }
        return `${lines.join("\n")}\n`;
    }
}

/** Index of the first bucket whose upper bound (le) is >= the value; the +Inf slot past the last. */
export function bucketIndex(durationMs: number): number {
    const i = ISTIO_DURATION_BUCKETS_MS.findIndex((le) => durationMs <= le);
    return i === -1 ? ISTIO_DURATION_BUCKETS_MS.length : i;
}
