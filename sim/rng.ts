/**
 * Seedable pseudo-random numbers for the traffic simulator: the same seed gives the same
 * request mix, errors and latencies, so a failing test can be replayed exactly.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a 32-bit generator with a full 2^32 period, good enough for traffic shaping and
 * far cheaper than crypto. Not for anything secret.
 * @param seed any integer; only its low 32 bits are used.
 */
export function mulberry32(seed: number): Rng {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
