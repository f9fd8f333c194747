/**
 * The metrics provider interface. The analysis never talks to Prometheus directly: it asks a provider
 * for instant values, and a test can hand it a fake.
 */

/** An instant query's answer: a number, or `null` when the result was empty or NaN ("no data"). */
export type InstantValue = number | null;

/** One series of an instant vector. */
export interface SeriesSample {
    labels: Record<string, string>;
    value: number;
}

export interface MetricsProvider {
    /** Human name for events ("prometheus http://127.0.0.1:9090"); never contains credentials. */
    readonly description: string;
    /**
     * Evaluates one PromQL expression now. Resolves with the single value of a scalar or one-element
     * vector, `null` for an empty result or NaN; rejects with a {@link MetricsError} when the provider is
     * unreachable, times out, answers an error, or returns several series (an ambiguous query).
     */
    instant(query: string, signal?: AbortSignal): Promise<InstantValue>;
    /**
     * Evaluates one PromQL expression now and returns every series of the instant vector with its labels
     * (raw counters for the sequential analysis, release/sequential/counts.ts). Rejects like `instant`.
     */
    series(query: string, signal?: AbortSignal): Promise<SeriesSample[]>;
}

/** Why a query failed. Its message never contains credentials. */
export class MetricsError extends Error {
    readonly kind: "timeout" | "unreachable" | "http" | "query" | "ambiguous" | "malformed";
    constructor(kind: MetricsError["kind"], message: string) {
        super(message);
        this.name = "MetricsError";
        this.kind = kind;
    }
}
