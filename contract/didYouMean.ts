/** "Did you mean": the closest allowed key to a mistyped one. Pure. */

/** Levenshtein distance (insert, delete, substitute), O(a*b) with one row. */
export function levenshtein(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
        }
        prev = row;
    }
    return prev[b.length] ?? 0;
}

/** Field names that circulate in Istio examples (the seed doc among them) but are not Istio's. */
const ISTIO_RENAMES: Readonly<Record<string, string>> = {
    circuitBreaker: "outlierDetection",
    keepAlive: "tcpKeepalive",
    consecutiveErrors: "consecutive5xxErrors",
};

/**
 * The allowed key closest to `key`, if it is close enough to be a typo: distance at most 2, or at most a
 * third of the key's length for long keys; a case-only difference always counts.
 */
export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
    const renamed = Object.hasOwn(ISTIO_RENAMES, key) ? ISTIO_RENAMES[key] : undefined;
    if (renamed !== undefined && allowed.includes(renamed)) {
        return renamed;
    }
    let best: { k: string; d: number } | undefined;
    for (const k of allowed) {
        const d = k.toLowerCase() === key.toLowerCase() ? 0 : levenshtein(key, k);
        if (best === undefined || d < best.d) {
            best = { k, d };
        }
    }
    return best !== undefined && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : undefined;
}
