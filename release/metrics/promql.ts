/**
 * PromQL built from values that come from config and flags. Pure.
 *
 * Nothing is concatenated into a query unchecked: label values must match the Kubernetes label-value
 * charset (letters, digits, `-`, `_`, `.`; alphanumeric at both ends; at most 63), and are escaped for a
 * double-quoted PromQL string anyway; the window is rendered from a number of milliseconds, never copied
 * from the input. A service name such as `x"} or vector(1) #` is rejected before any query is sent.
 */
import { durationMs } from "../../components/validation";
import { TEMPLATE_VARIABLES, templateVariableProblems } from "../../contract/releaseRules";

/** Kubernetes label value (also what Istio puts in `destination_service_name` and `destination_version`). */
export const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** The reason a label value is rejected, or undefined when it is fine. */
export function labelValueProblem(value: string): string | undefined {
    if (LABEL_VALUE.test(value)) {
        return undefined;
    }
    return `${JSON.stringify(value)} is not a valid label value; it must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
}

/** Escapes a value for a double-quoted PromQL string literal. */
export function escapePromqlString(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A PromQL range from milliseconds: `90s`, `1500ms`. Integers only (Prometheus rejects `1.5s`). */
export function promqlRange(ms: number): string {
    const whole = Math.max(1, Math.round(ms));
    return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

/** Variables a query template may use. */
export interface QueryVariables {
    service: string;
    namespace: string;
    version: string;
    /** Window, Go duration (`30s`, `1m`). */
    interval: string;
}

export type RenderResult = { ok: true; query: string } | { ok: false; problems: string[] };

/**
 * Fills `{{service}}`, `{{namespace}}`, `{{version}}` and `{{interval}}` in a template. Every problem is
 * returned (an unknown variable, a bad value), so config validation can list them all.
 */
export function renderTemplate(template: string, vars: QueryVariables): RenderResult {
    const problems: string[] = [];
    const values = new Map<string, string>();
    for (const name of ["service", "namespace", "version"] as const) {
        const problem = labelValueProblem(vars[name]);
        if (problem !== undefined) {
            problems.push(`${name} ${problem}`);
        } else {
            values.set(name, escapePromqlString(vars[name]));
        }
    }
    const ms = durationMs(vars.interval);
    if (ms === undefined || ms <= 0) {
        problems.push(`interval ${JSON.stringify(vars.interval)} is not a positive Go duration such as 30s or 1m`);
    } else {
        values.set("interval", promqlRange(ms));
    }
    problems.push(...templateVariableProblems(template));
    const query = template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, name: string) =>
        (TEMPLATE_VARIABLES as readonly string[]).includes(name) ? (values.get(name) ?? whole) : whole,
    );
    return problems.length > 0 ? { ok: false, problems } : { ok: true, query };
}

/** Labels that select one workload's requests in Istio's standard metrics. */
export interface WorkloadSelector {
    reporter: "source" | "destination";
    service: string;
    namespace: string;
    version: string;
}

/** `{reporter="source",destination_service_name="x",...}` from validated values. Throws on a bad value. */
export function selector(s: WorkloadSelector, extra = ""): string {
    for (const [name, v] of [
        ["service", s.service],
        ["namespace", s.namespace],
        ["version", s.version],
    ] as const) {
        const problem = labelValueProblem(v);
        if (problem !== undefined) {
            throw new Error(`${name} ${problem}`);
        }
    }
    const labels = [
        `reporter="${s.reporter}"`,
        `destination_service_name="${escapePromqlString(s.service)}"`,
        `destination_service_namespace="${escapePromqlString(s.namespace)}"`,
        `destination_version="${escapePromqlString(s.version)}"`,
    ];
    return `{${labels.join(",")}${extra}}`;
}

/** Percent of non-5xx requests in the window; NaN (no data) when there were none. */
export function successRateQuery(s: WorkloadSelector, windowMs: number): string {
    const w = promqlRange(windowMs);
    return (
        `100 * sum(rate(istio_requests_total${selector(s, ',response_code!~"5.."')}[${w}]))` +
        ` / sum(rate(istio_requests_total${selector(s)}[${w}]))`
    );
}

/** p95 latency in ms over the window (Istio's standard histogram). */
export function latencyP95Query(s: WorkloadSelector, windowMs: number): string {
    const w = promqlRange(windowMs);
    return `histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket${selector(s)}[${w}])))`;
}

/** Requests in the window (for the minRequests rule). */
export function requestCountQuery(s: WorkloadSelector, windowMs: number): string {
    return `sum(increase(istio_requests_total${selector(s)}[${promqlRange(windowMs)}]))`;
}

/** Every raw request-counter series of a workload (one per proxy, code, ...), for the sequential analysis. */
export function requestCounterSeriesQuery(s: WorkloadSelector): string {
    return `istio_requests_total${selector(s)}`;
}

/** Every raw latency-bucket series of a workload, for the sequential analysis. */
export function durationBucketSeriesQuery(s: WorkloadSelector): string {
    return `istio_request_duration_milliseconds_bucket${selector(s)}`;
}
