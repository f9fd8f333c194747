/**
 * Plain words for the sequential tests, for the terminal view, the events and the report. Pure.
 * Evidence is shown as an e-value ("evidence 2,310 against a bound of 320"): how many times likelier the
 * data are if the canary is bad than if it is fine; the step stops when it reaches the bound 1/alpha_i.
 */
import type { Look, TestEvidence, TestName } from "./judge";
import { confidenceSequence } from "./mixture";

function pct(v: number): string {
    const p = v * 100;
    return `${p >= 10 || p === 0 ? p.toFixed(1) : p.toPrecision(2)} %`;
}

/** An e-value from its log, for people: "0.3", "12", "2,310", "4.1e+12". */
export function formatEvidence(logE: number): string {
    if (logE === Infinity) {
        return "∞";
    }
    if (logE === -Infinity) {
        return "0";
    }
    const e = Math.exp(logE);
    if (e < 10) {
        return e.toFixed(e < 1 ? 2 : 1);
    }
    return e < 1e7 ? Math.round(e).toLocaleString("en-US") : e.toExponential(1);
}

/** Confidence, e.g. "99.94 %". */
export function formatConfidence(alpha: number): string {
    const c = (1 - alpha) * 100;
    return `${c >= 99.995 ? c.toFixed(3) : c.toFixed(2)} %`;
}

const WHAT: Record<TestName, string> = {
    "errors-vs-threshold": "error rate vs the threshold",
    "latency-vs-threshold": "share slower than the p95 threshold",
    "errors-vs-stable": "share of the 5xx vs stable",
    "latency-vs-stable": "share of slow requests vs stable",
};

/** What a test checks, in a few words. */
export function testTitle(name: TestName): string {
    return WHAT[name];
}

/** One sentence for one test at one look; `latencyP95Ms` names the cut of the latency tests. */
export function describeTest(t: TestEvidence, latencyP95Ms: number): string {
    const conf = formatConfidence(t.alphaPerTest);
    const ev = `evidence ${formatEvidence(t.logEvidence)}, bound ${formatEvidence(t.logBound)}`;
    const rate = t.trials > 0 ? t.events / t.trials : 0;
    switch (t.name) {
        case "errors-vs-threshold":
        case "latency-vs-threshold": {
            const what = t.name === "errors-vs-threshold" ? `canary error rate ${pct(rate)} of ${t.trials} requests` : `canary requests slower than ${latencyP95Ms} ms: ${pct(rate)} of ${t.trials}`;
            const limit = `limit ${pct(t.p0)}`;
            if (t.trials === 0) {
                return `${t.name === "errors-vs-threshold" ? "no canary requests yet" : "no timed canary requests yet"} (${limit})`;
            }
            const cs = confidenceSequence(t.events, t.trials, t.alphaPerTest);
            if (t.crossed) {
                return `${what}: above the ${limit} with ${conf} confidence (at least ${pct(cs.lower)}; ${ev})`;
            }
            if (t.pointEstimate === true) {
                return `${what}: within the ${limit} by its point estimate (too few requests for evidence: auto mode judges a starved test as the fixed window does; ${ev})`;
            }
            const within = t.logPassEvidence !== undefined && t.logPassEvidence >= t.logPassBound;
            const passConf = formatConfidence(Math.exp(-t.logPassBound));
            const upper = confidenceSequence(t.passEvents ?? t.events, t.trials, Math.exp(-t.logPassBound)).upper;
            return `${what}: at most ${pct(upper)} with ${passConf} confidence, ${within ? "within" : "not yet shown within"} the ${limit} (lower bound ${pct(cs.lower)}; ${ev})`;
        }
        case "errors-vs-stable":
        case "latency-vs-stable": {
            const kind = t.name === "errors-vs-stable" ? "5xx" : `requests slower than ${latencyP95Ms} ms`;
            if (t.trials === 0) {
                return `no ${kind} from either version yet (canary traffic share ${pct(t.p0)})`;
            }
            const verdict = t.crossed ? `more than its traffic share explains, with ${conf} confidence` : "no worse than stable so far";
            return `canary served ${t.events} of ${t.trials} ${kind} (${pct(rate)}) at a traffic share of ${pct(t.p0)}: ${verdict} (${ev})`;
        }
        default: {
            const never: never = t.name;
            return never;
        }
    }
}

/** Why a look decided what it did, in one line. */
export function describeDecision(look: Look, latencyP95Ms: number, minRequests: number, canaryRequests: number): string {
    const d = look.decision;
    const by = (names: readonly TestName[]): string =>
        names.map((n) => {
            const t = look.tests.find((x) => x.name === n);
            return t === undefined ? n : `${n}: ${describeTest(t, latencyP95Ms)}`;
        }).join("; ");
    switch (d.kind) {
        case "fail":
            return `stopped early, certain failure: ${by(d.failed)}`;
        case "continue":
            return "no test has crossed its bound yet";
        case "pass":
            return `${look.tests.some((t) => t.pointEstimate === true) ? "passed (starved tests on their point estimate)" : "passed with evidence"}: ${by(look.tests.filter((t) => t.passEvents !== undefined).map((t) => t.name))}`;
        case "inconclusive":
            return d.why === "too-few-requests"
                ? `too few canary requests in the window: ${canaryRequests}, need ${minRequests}`
                : `window over without evidence that the canary is within its thresholds: ${by(d.lacking)}`;
        default: {
            const never: never = d;
            return never;
        }
    }
}
