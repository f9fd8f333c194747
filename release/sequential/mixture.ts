/**
 * Anytime-valid evidence about a Bernoulli rate from two integers (events `x` out of trials `n`). Pure.
 *
 * Each function is the log of a *test supermartingale*: a mixture likelihood ratio that starts at 1, and
 * whose expectation never exceeds 1 while the null hypothesis holds, however the trials arrive and however
 * often it is looked at. By Ville's inequality, P(it ever reaches 1/alpha) <= alpha under the null, so a
 * test that stops the first time it crosses `log(1/alpha)` has a false-alarm rate of at most alpha at
 * every look, not only at a fixed end (Lindon & Malek, NeurIPS 2022; Howard et al. 2021).
 *
 * The mixing distribution lives on the alternative only, which makes each one-sided test valid for its whole
 * composite null: for the null p <= p0, every factor q^X (1-q)^(1-X) / (p0^X (1-p0)^(1-X)) with q > p0 has
 * expectation <= 1 under any p <= p0. For "above" it is a Beta(1, b) truncated to (p0, 1], with b chosen so
 * that the untruncated mean is min(0.5, 2 p0): most of its mass on rates a few times p0, where a canary
 * regression usually sits (a uniform prior wastes it on rates near 1 and needs about twice the requests to
 * flag 10 % errors against 5 %). For "below" it is uniform on [0, p0).
 * The mixture depends on the data only through (x, n), so counts read in batches (a Prometheus scrape)
 * give the same value as one trial at a time: looking at cumulative counts is looking at the process.
 *
 * Closed form with the regularized incomplete beta function I (stdlib's `betainc`, a port of Boost's):
 *   ∫_{p0}^{1} q^(x+a-1) (1-q)^(n-x+b-1) dq = B(x+a, n-x+b) * (1 - I_{p0}(x+a, n-x+b)).
 */
import betainc from "@stdlib/math-base-special-betainc";
import betaln from "@stdlib/math-base-special-betaln";

/** x * log(y), with 0 * log(0) = 0. */
function xlogy(x: number, y: number): number {
    return x === 0 ? 0 : x * Math.log(y);
}

function checkCounts(x: number, n: number): void {
    if (!(Number.isInteger(x) && Number.isInteger(n) && x >= 0 && n >= x)) {
        throw new RangeError(`counts must be integers with 0 <= events <= trials; got ${x} of ${n}`);
    }
}

/** log of the likelihood of (x, n) at p0, the denominator of both ratios. */
function logLikelihood(x: number, n: number, p0: number): number {
    return xlogy(x, p0) + xlogy(n - x, 1 - p0);
}

/** The `b` of the Beta(1, b) prior of {@link logEvidenceAbove}: untruncated mean min(0.5, 2 p0). */
export function priorB(p0: number): number {
    const mean = Math.min(0.5, 2 * Math.max(p0, 1e-6));
    return 1 / mean - 1;
}

/**
 * Evidence that the rate is ABOVE p0 (null: p <= p0); log of the e-value. Crossing log(1/alpha) means
 * "the rate exceeds p0" with false-alarm probability at most alpha over all looks.
 */
export function logEvidenceAbove(x: number, n: number, p0: number): number {
    checkCounts(x, n);
    if (p0 >= 1) {
        return -Infinity; // no rate is above 1
    }
    if (p0 <= 0 && x > 0) {
        return Infinity; // one event refutes a rate of 0
    }
    const a = 1;
    const b = priorB(p0);
    const q0 = Math.max(0, p0);
    const tail = betainc(q0, x + a, n - x + b, true, true);
    if (tail <= 0) {
        return -Infinity; // underflow: the data sit far below p0
    }
    // The prior's own mass on (p0, 1]: for a = 1, (1 - p0)^b.
    const logPriorMass = betaln(a, b) + b * Math.log1p(-q0);
    return betaln(x + a, n - x + b) + Math.log(tail) - logPriorMass - logLikelihood(x, n, p0);
}

/**
 * Evidence that the rate is BELOW p0 (null: p >= p0); log of the e-value. Crossing log(1/alpha) means
 * "the rate is under p0" with error probability at most alpha over all looks: the confidence bound, not
 * the point estimate, is on the right side of p0.
 */
export function logEvidenceBelow(x: number, n: number, p0: number): number {
    checkCounts(x, n);
    if (p0 <= 0) {
        return -Infinity; // no rate is below 0
    }
    if (p0 >= 1 && x < n) {
        return Infinity; // one non-event refutes a rate of 1
    }
    const tail = betainc(Math.min(1, p0), x + 1, n - x + 1, true, false);
    if (tail <= 0) {
        return -Infinity;
    }
    return betaln(x + 1, n - x + 1) + Math.log(tail) - Math.log(p0) - logLikelihood(x, n, p0);
}

/**
 * The confidence sequence of the rate at level 1 - alpha after (x, n): every p0 that neither test rejects.
 * `lower` is the smallest p0 that `logEvidenceAbove` does not reject, `upper` the largest that
 * `logEvidenceBelow` does not reject (bisection to 1e-6). Valid at every look at once, like the tests.
 */
export function confidenceSequence(x: number, n: number, alpha: number): { lower: number; upper: number } {
    const bound = Math.log(1 / alpha);
    const search = (rejected: (p: number) => boolean, fromBelow: boolean): number => {
        // rejected(p) is true on one side of the answer: [0, lower) for "above", (upper, 1] for "below".
        let lo = 0;
        let hi = 1;
        for (let i = 0; i < 40; i++) {
            const mid = (lo + hi) / 2;
            if (rejected(mid) === fromBelow) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return fromBelow ? hi : lo;
    };
    const lower = x === 0 ? 0 : search((p) => logEvidenceAbove(x, n, p) >= bound, true);
    const upper = x === n ? 1 : search((p) => logEvidenceBelow(x, n, p) >= bound, false);
    return { lower, upper };
}
