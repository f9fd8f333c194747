/**
 * Summary statistics for benchmark samples: median, min and max (the issue asks for medians of at
 * least 5 runs with min and max, because these machines are noisy), and the ratio of two medians.
 */

/** Median, min and max of one series of samples, in the samples' unit. */
export interface Summary {
    /** Number of samples. */
    n: number;
    median: number;
    min: number;
    max: number;
}

/** Pure: median (mean of the two middle values for an even count), min and max. Throws on no samples. */
export function summarize(samples: readonly number[]): Summary {
    if (samples.length === 0) {
        throw new Error("summarize: no samples; a benchmark series needs at least one run");
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    return { n: sorted.length, median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

/** `median (min–max)` with `digits` decimals, e.g. `412 (398–460)`. */
export function formatSummary(s: Summary, digits = 0): string {
    const f = (x: number): string => x.toFixed(digits);
    return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** Ratio of two medians, `a / b`, with two decimals and an `x`: `3.41x`. */
export function formatRatio(a: Summary, b: Summary): string {
    return b.median === 0 ? "n/a" : `${(a.median / b.median).toFixed(2)}x`;
}
