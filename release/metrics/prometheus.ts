/**
 * {@link MetricsProvider} over the Prometheus HTTP API: instant queries (`POST /api/v1/query`, form
 * encoded) with Node's fetch, a per-query timeout (AbortController), optional bearer token or basic auth.
 *
 * Credentials live only in the request headers: never in the description, in errors or in events. Every
 * error message is passed through a redactor that knows them, in case a lower layer echoes a header.
 */
import { Redactor } from "../../contract/redact";
import { InstantValue, MetricsError, MetricsProvider, type SeriesSample } from "./provider";

export interface PrometheusOptions {
    /** Base URL of the HTTP API, e.g. `http://127.0.0.1:9090`. Must not carry credentials. */
    url: string;
    /** Per-query timeout, ms. Default 5000. */
    timeoutMs?: number;
    /** Sent as `Authorization: Bearer <token>`. */
    bearerToken?: string;
    /** Sent as `Authorization: Basic ...`. Ignored when `bearerToken` is set. */
    basicAuth?: { username: string; password: string };
    /** Injected for tests; default the global fetch. */
    fetch?: typeof fetch;
}

interface PromResponse {
    status?: unknown;
    errorType?: unknown;
    error?: unknown;
    data?: { resultType?: unknown; result?: unknown };
}

/** The provider for a resolved release policy's `prometheus` settings (how the CLI and the e2e wire it). */
export function prometheusForPolicy(policy: { prometheus: Pick<PrometheusOptions, "url" | "timeoutMs" | "bearerToken" | "basicAuth"> }): PrometheusProvider {
    const { url, timeoutMs, bearerToken, basicAuth } = policy.prometheus;
    return new PrometheusProvider({ url, timeoutMs, bearerToken, basicAuth });
}

export class PrometheusProvider implements MetricsProvider {
    readonly description: string;
    private readonly endpoint: string;
    private readonly timeoutMs: number;
    private readonly headers: Record<string, string>;
    private readonly redactor = new Redactor();
    private readonly fetchFn: typeof fetch;

    constructor(opts: PrometheusOptions) {
        const base = new URL(opts.url);
        if (base.username !== "" || base.password !== "") {
            // Config validation refuses this first; the check stays so the library is safe on its own.
            throw new MetricsError("malformed", "the Prometheus URL must not contain credentials; use release.prometheus.basicAuth");
        }
        this.endpoint = new URL("api/v1/query", base.href.endsWith("/") ? base.href : `${base.href}/`).href;
        this.description = `prometheus ${base.origin}${base.pathname === "/" ? "" : base.pathname}`;
        this.timeoutMs = opts.timeoutMs ?? 5000;
        this.fetchFn = opts.fetch ?? fetch;
        this.headers = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
        if (opts.bearerToken !== undefined) {
            this.headers.authorization = `Bearer ${opts.bearerToken}`;
            this.redactor.add(opts.bearerToken);
        } else if (opts.basicAuth !== undefined) {
            const encoded = Buffer.from(`${opts.basicAuth.username}:${opts.basicAuth.password}`).toString("base64");
            this.headers.authorization = `Basic ${encoded}`;
            this.redactor.add(opts.basicAuth.password, encoded);
        }
    }

    async instant(query: string, signal?: AbortSignal): Promise<InstantValue> {
        return this.redacted(async () => parseInstant(await this.query(query, signal), this.description));
    }

    async series(query: string, signal?: AbortSignal): Promise<SeriesSample[]> {
        return this.redacted(async () => parseSeries(await this.query(query, signal), this.description));
    }

    private async redacted<T>(run: () => Promise<T>): Promise<T> {
        try {
            return await run();
        } catch (err) {
            if (err instanceof MetricsError) {
                throw new MetricsError(err.kind, this.redactor.redact(err.message));
            }
            throw new MetricsError("unreachable", this.redactor.redact(`${this.description}: ${describeFetchError(err)}`));
        }
    }

    private async query(query: string, outer?: AbortSignal): Promise<PromResponse["data"]> {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), this.timeoutMs);
        const onOuterAbort = (): void => controller.abort();
        outer?.addEventListener("abort", onOuterAbort);
        let response: Response;
        let text: string;
        try {
            response = await this.fetchFn(this.endpoint, {
                method: "POST",
                headers: this.headers,
                body: new URLSearchParams({ query }).toString(),
                signal: controller.signal,
            });
            text = await response.text();
        } catch (err) {
            if (controller.signal.aborted) {
                const why = outer?.aborted === true ? "cancelled" : `timed out after ${this.timeoutMs} ms`;
                throw new MetricsError("timeout", `${this.description}: query ${why}`);
            }
            throw err;
        } finally {
            clearTimeout(timer);
            outer?.removeEventListener("abort", onOuterAbort);
        }
        let body: PromResponse;
        try {
            body = JSON.parse(text) as PromResponse;
        } catch {
            throw new MetricsError("http", `${this.description}: HTTP ${response.status}, not a Prometheus API answer: ${text.slice(0, 200)}`);
        }
        if (body.status !== "success") {
            const kind = response.status === 400 || response.status === 422 ? "query" : "http";
            throw new MetricsError(kind, `${this.description}: HTTP ${response.status} ${String(body.errorType ?? "")}: ${String(body.error ?? "no error text")}`);
        }
        return body.data;
    }
}

/** The single value of an instant-query answer; null for an empty vector or NaN. */
export function parseInstant(data: PromResponse["data"], source: string): InstantValue {
    const malformed = (): MetricsError => new MetricsError("malformed", `${source}: unexpected answer ${JSON.stringify(data).slice(0, 200)}`);
    if (data === undefined || typeof data !== "object") {
        throw malformed();
    }
    const sample = (pair: unknown): InstantValue => {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== "string") {
            throw malformed();
        }
        const value = Number(pair[1]);
        return Number.isNaN(value) ? null : value;
    };
    switch (data.resultType) {
        case "scalar":
            return sample(data.result);
        case "vector": {
            if (!Array.isArray(data.result)) {
                throw malformed();
            }
            if (data.result.length === 0) {
                return null;
            }
            if (data.result.length > 1) {
                throw new MetricsError("ambiguous", `${source}: the query returned ${data.result.length} series; aggregate it to one (sum, avg, ...)`);
            }
            return sample((data.result[0] as { value?: unknown }).value);
        }
        default:
            throw malformed();
    }
}

/** Every series of an instant-vector answer with its labels; NaN samples are dropped. */
export function parseSeries(data: PromResponse["data"], source: string): SeriesSample[] {
    if (data === undefined || typeof data !== "object" || data.resultType !== "vector" || !Array.isArray(data.result)) {
        throw new MetricsError("malformed", `${source}: expected an instant vector, got ${JSON.stringify(data).slice(0, 200)}`);
    }
    const out: SeriesSample[] = [];
    for (const item of data.result as unknown[]) {
        const metric = (item as { metric?: unknown }).metric;
        const pair = (item as { value?: unknown }).value;
        if (metric === null || typeof metric !== "object" || !Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== "string") {
            throw new MetricsError("malformed", `${source}: unexpected series ${JSON.stringify(item).slice(0, 200)}`);
        }
        const value = Number(pair[1]);
        if (Number.isNaN(value)) {
            continue;
        }
        const labels: Record<string, string> = Object.create(null) as Record<string, string>;
        for (const [k, v] of Object.entries(metric)) {
            if (typeof v === "string") {
                labels[k] = v;
            }
        }
        out.push({ labels, value });
    }
    return out;
}

function describeFetchError(err: unknown): string {
    if (err instanceof Error) {
        const cause = (err as Error & { cause?: unknown }).cause;
        const code = cause instanceof Error ? ((cause as Error & { code?: string }).code ?? cause.message) : undefined;
        return code !== undefined ? `${err.message} (${code})` : err.message;
    }
    return String(err);
}
