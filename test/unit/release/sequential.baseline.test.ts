/**
 * The baseline of a sequential step (release/metrics/sequential.ts `baselineDelayMs`) against a fake Prometheus that
 * holds what it scraped at fixed times, as a real one does: the counters it serves when a step begins were scraped
 * before the step's weight was live. The CI run that found it: a 10 % -> 100 % step at 200 req/s and a 1 s scrape
 * counted 166 of the previous weight's stable requests as the 100 % step's, a canary share of 94 %, and the
 * live-split check stopped a healthy rollout.
 */
import { expect } from "chai";
import type { Clock } from "../../../release/core/clock";
import { liveSplitProblems, observedShare } from "../../../release/core/live";
import { analyzeStepSequentially, baselineDelayMs } from "../../../release/metrics/sequential";
import type { MetricsProvider, SeriesSample } from "../../../release/metrics/provider";

/** Time in ms since the step began; the rollout's weight went from `before` to `after` % at 0. */
function world(opts: { rps: number; before: number; after: number; scrapeMs: number; lastScrapeBeforeStartMs: number }) {
    let now = 0;
    /** Requests served up to time t (ms) by each version. */
    const served = (t: number, version: "canary" | "stable"): number => {
        const share = (w: number): number => (version === "canary" ? w : 100 - w) / 100;
        const pre = Math.max(0, Math.min(t, 0) + 60_000); // a minute of the previous step before 0
        const post = Math.max(0, t);
        return Math.round((opts.rps * (pre * share(opts.before) + post * share(opts.after))) / 1000);
    };
    /** The time of the last scrape at or before t: scrapes at -lastScrapeBeforeStartMs + k * scrapeMs. */
    const lastScrape = (t: number): number => {
        const first = -opts.lastScrapeBeforeStartMs;
        return first + Math.floor((t - first) / opts.scrapeMs) * opts.scrapeMs;
    };
    const clock: Clock = {
        now: () => new Date(1_800_000_000_000 + now),
        sleep: async (ms) => {
            now += ms;
        },
    };
    const provider: MetricsProvider = {
        description: "fake prometheus",
        instant: () => Promise.reject(new Error("not used")),
        series: async (query: string): Promise<SeriesSample[]> => {
            const version = query.includes('destination_version="v2"') ? "canary" : "stable";
            const count = served(lastScrape(now), version);
            if (query.startsWith("istio_requests_total")) {
                return [{ labels: { response_code: "200" }, value: count }];
            }
            return [
                { labels: { le: "1000" }, value: count },
                { labels: { le: "+Inf" }, value: count },
            ];
        },
    };
    return { clock, provider, now: () => now };
}

describe("sequential analysis: the baseline is a scrape taken after the step began", () => {
    it("waits one scrape interval and a quarter (at least 250 ms)", () => {
        expect(baselineDelayMs(1000)).to.equal(1250);
        expect(baselineDelayMs(5000)).to.equal(6250);
        expect(baselineDelayMs(15_000)).to.equal(18_750);
        expect(baselineDelayMs(500)).to.equal(750);
    });

    for (const lag of [0, 100, 500, 900, 999]) {
        it(`a 10 % -> 100 % step, the last scrape ${lag} ms before it began: none of the previous weight's requests is counted, and the live-split check passes`, async () => {
            const w = world({ rps: 200, before: 10, after: 100, scrapeMs: 1000, lastScrapeBeforeStartMs: lag });
            const { result } = await analyzeStepSequentially(
                {
                    reporter: "destination",
                    service: "sample-app",
                    namespace: "shop",
                    canaryVersion: "v2",
                    stableVersion: "v1",
                    stepIndex: 1,
                    weight: 100,
                    windowMs: 15_000,
                    lookIntervalMs: 1000,
                    policy: { alpha: 0.05, steps: 2, successRate: 95, latencyP95Ms: 1000, minRequests: 20 },
                    custom: [],
                },
                { provider: w.provider, clock: w.clock, emit: () => undefined },
                undefined,
            );
            expect(result.verdict, result.reason).to.equal("Successful");
            const stable = result.metrics.find((m) => m.name === "request-count" && m.target === "stable");
            expect(stable?.value, "stable requests counted in the 100 % step").to.equal(0);
            const observed = observedShare(result.metrics);
            expect(observed?.total).to.be.greaterThan(2500);
            expect(liveSplitProblems({ weight: 100, live: undefined, observed, minRequests: 20, extraCanaryRoutes: false })).to.deep.equal([]);
        });
    }
});
