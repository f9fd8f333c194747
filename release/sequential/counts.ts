/**
 * Counts since a step began, from raw Prometheus counter series read at each scrape. Pure.
 *
 * Istio's counters (`istio_requests_total`, `istio_request_duration_milliseconds_bucket`) are cumulative
 * per series (one per proxy, response code, bucket...). The step's counts are the sum over series of what
 * each series grew since the step's baseline:
 * - a series seen before adds `now - before`, or `now` when it went down (a counter reset: the proxy
 *   restarted and counted from 0 again, the rule Prometheus' `increase()` uses);
 * - a series first seen after the baseline adds all of `now` (it was created during the step);
 * - a failed scrape changes nothing: the next successful one carries the growth since the last.
 * No extrapolation (unlike `increase()` over a range), so the counts are whole numbers of requests.
 */

/** One counter series of an instant vector: its identity (labels) and value. */
export interface Sample {
    labels: Readonly<Record<string, string>>;
    value: number;
}

/** What the step's tests need, per workload. Every figure counts requests since the baseline. */
export interface WorkloadCounts {
    requests: number;
    /** Requests answered 5xx. */
    errors: number;
    /** Requests the latency histogram observed (its +Inf bucket): the base of the two slow counts. */
    timed: number;
    /**
     * Requests certainly slower than the latency threshold: above the smallest bucket boundary >= it.
     * Used to roll back (an undercount can only delay a rollback, never cause a false one).
     */
    slowCertain: number;
    /**
     * Requests possibly slower than the threshold: above the largest bucket boundary <= it. Used to pass
     * (an overcount can only delay a pass, never let a slow canary through).
     */
    slowPossible: number;
}

export interface StepCounts {
    canary: WorkloadCounts;
    stable: WorkloadCounts;
}

export const ZERO_COUNTS: WorkloadCounts = { requests: 0, errors: 0, timed: 0, slowCertain: 0, slowPossible: 0 };

/** The key of a series: its labels, sorted. */
export function seriesKey(labels: Readonly<Record<string, string>>): string {
    return Object.keys(labels)
        .sort()
        .map((k) => `${k}=${JSON.stringify(labels[k])}`)
        .join(",");
}

/** Last value of every series seen, and what each grew since the baseline. */
export interface CounterState {
    last: Readonly<Record<string, number>>;
    growth: Readonly<Record<string, number>>;
    labels: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The state at the baseline: the values now, no growth yet. */
export function baseline(samples: readonly Sample[]): CounterState {
    const last: Record<string, number> = Object.create(null) as Record<string, number>;
    const labels: Record<string, Record<string, string>> = Object.create(null) as Record<string, Record<string, string>>;
    for (const s of samples) {
        const k = seriesKey(s.labels);
        last[k] = s.value;
        labels[k] = { ...s.labels };
    }
    return { last, growth: Object.create(null) as Record<string, number>, labels };
}

/** The state after one more successful scrape (resets and new series handled as the header says). */
export function advance(state: CounterState, samples: readonly Sample[]): CounterState {
    const last: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, state.last);
    const growth: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, state.growth);
    const labels: Record<string, Readonly<Record<string, string>>> = Object.assign(Object.create(null) as Record<string, Readonly<Record<string, string>>>, state.labels);
    for (const s of samples) {
        if (!Number.isFinite(s.value) || s.value < 0) {
            continue; // not a counter value (NaN, a stale marker): ignore it
        }
        const k = seriesKey(s.labels);
        const before = state.last[k];
        const grew = before === undefined ? s.value : s.value >= before ? s.value - before : s.value;
        growth[k] = (growth[k] ?? 0) + grew;
        last[k] = s.value;
        labels[k] = labels[k] ?? { ...s.labels };
    }
    return { last, growth, labels };
}

/** Sum of the growth of the series that `keep` selects. */
export function sumGrowth(state: CounterState, keep: (labels: Readonly<Record<string, string>>) => boolean): number {
    let total = 0;
    for (const k of Object.keys(state.growth)) {
        const l = state.labels[k];
        if (l !== undefined && keep(l)) {
            total += state.growth[k] ?? 0;
        }
    }
    return Math.round(total);
}

/**
 * The two bucket boundaries around a threshold among the `le` labels seen: the largest <= it (for
 * `slowPossible`) and the smallest >= it (for `slowCertain`). With Istio's default buckets and a
 * threshold on a boundary (1000 ms) both are the threshold itself.
 */
export function boundariesAround(les: readonly number[], threshold: number): { below: number | undefined; above: number | undefined } {
    let below: number | undefined;
    let above: number | undefined;
    for (const le of les) {
        if (le <= threshold && (below === undefined || le > below)) {
            below = le;
        }
        if (le >= threshold && (above === undefined || le < above)) {
            above = le;
        }
    }
    return { below, above };
}

/** Requests, errors and slow requests of one workload from its request-counter and bucket states. */
export function workloadCounts(requests: CounterState, buckets: CounterState, latencyThresholdMs: number): WorkloadCounts {
    const total = sumGrowth(requests, () => true);
    const errors = sumGrowth(requests, (l) => /^5\d\d$/.test(l.response_code ?? ""));
    const les = [...new Set(Object.values(buckets.labels).map((l) => Number(l.le)).filter((n) => Number.isFinite(n)))];
    const { below, above } = boundariesAround(les, latencyThresholdMs);
    const atOrUnder = (le: number | undefined): number => (le === undefined ? 0 : sumGrowth(buckets, (l) => Number(l.le) === le));
    const inf = sumGrowth(buckets, (l) => l.le === "+Inf");
    // Requests above a boundary = all observed requests (the +Inf bucket) minus those at or under it. No
    // boundary above the threshold: nothing is certainly slower. None below: everything possibly is.
    return {
        requests: total,
        errors,
        timed: inf,
        slowCertain: above === undefined ? 0 : Math.max(0, inf - atOrUnder(above)),
        slowPossible: below === undefined ? inf : Math.max(0, inf - atOrUnder(below)),
    };
}
