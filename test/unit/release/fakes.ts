/**
 * Shared fakes of the release tests: a stack config, a clock whose sleeps return at once (and can "kill"
 * the process at the Nth sleep), and a metrics provider answering Istio's standard queries per version.
 */
import { DriverError } from "../../../release/driver/driver";
import { MemoryDriver, MemoryStack } from "../../../release/driver/memory";
import type { Clock } from "../../../release/core/clock";
import type { ReleaseEvent } from "../../../release/core/events";
import { MetricsError, type MetricsProvider, type SeriesSample } from "../../../release/metrics/provider";
import type { ReleaseDeps } from "../../../release/rollout";
import { runCli, type CliIO } from "../../../release/cli";
import { valueAt } from "../../../contract/paths";

export const SVC = "sample-app";

/** A minimal stack config with one service at stable v1 and the given release policy. */
export function stackConfig(release: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        namespace: "shop",
        services: { [SVC]: { image: "registry.local/sample-app:{version}", stable: { version: "v1" }, canary: { weight: 0, routed: true } } },
        // The fixed window, set explicitly (the default is auto since issue 21): these fakes answer instant queries.
        release: { steps: [10, 50, 100], interval: "2s", update: { retries: 2, backoff: "1s" }, ...release, analysis: { mode: "fixed", ...(release["analysis"] as Record<string, unknown> | undefined) } },
    };
}

/**
 * The canary's routing fields in a config (version, weight, routed), without the rollout's `revision`: the tests that
 * follow the split compare these; "one revision per rollout" (rollout.test.ts) tests the revision on its own.
 */
export function canaryOf(cfg: Record<string, unknown> | undefined): unknown {
    const c = valueAt(cfg, ["services", SVC, "canary"]);
    if (c === null || typeof c !== "object") return c;
    const { revision: _revision, ...rest } = c as Record<string, unknown>;
    return rest;
}

/** Virtual time: `sleep` advances it and returns at once. `killAtSleep` makes the Nth sleep throw (a SIGKILL). */
export class FakeClock implements Clock {
    t = Date.parse("2026-01-01T00:00:00.000Z");
    readonly sleeps: number[] = [];
    killAtSleep: number | undefined;

    now(): Date {
        return new Date(this.t);
    }

    sleep = (ms: number): Promise<void> => {
        this.sleeps.push(ms);
        if (this.killAtSleep !== undefined && this.sleeps.length === this.killAtSleep) {
            return Promise.reject(new Error("killed (simulated SIGKILL)"));
        }
        this.t += ms;
        return Promise.resolve();
    };
}

export interface VersionHealth {
    /** Percent, or null for "no data". */
    successRate: number | null;
    p95: number | null;
    requests: number | null;
    /**
     * Raw counters for the sequential analysis: what each scrape adds (requests, of which 5xx, of which
     * slower than 1000 ms). Absent: the version has no series.
     */
    perScrape?: { requests: number; errors: number; slow: number };
}

export const HEALTHY: VersionHealth = { successRate: 99.8, p95: 80, requests: 1000 };

/**
 * Answers the success-rate, p95 and request-count queries by the `destination_version` in them.
 * `down` makes every query fail like an unreachable Prometheus; `queries` records what was asked.
 */
export class FakeMetrics implements MetricsProvider {
    readonly description = "fake prometheus";
    readonly queries: string[] = [];
    down = false;
    /** Thrown text when down (to prove a leaked secret is redacted). */
    downMessage = "connection refused";

    constructor(readonly versions: Record<string, VersionHealth>) {}

    instant(query: string): Promise<number | null> {
        this.queries.push(query);
        if (this.down) {
            return Promise.reject(new MetricsError("unreachable", this.downMessage));
        }
        const version = /destination_version="([^"]+)"/.exec(query)?.[1] ?? "";
        const h = this.versions[version] ?? { successRate: null, p95: null, requests: null };
        if (query.startsWith("histogram_quantile")) {
            return Promise.resolve(h.p95);
        }
        if (query.startsWith("100 * ")) {
            return Promise.resolve(h.successRate);
        }
        if (query.startsWith("sum(increase(")) {
            return Promise.resolve(h.requests);
        }
        return Promise.reject(new MetricsError("query", `unexpected query ${query}`));
    }

    /** Scrapes answered so far, per query: the counters grow by `perScrape` at each. */
    private readonly scrapes = new Map<string, number>();
    /** Scrape numbers (1-based, per query) that fail like an unreachable Prometheus. */
    failScrapes = new Set<number>();

    series(query: string): Promise<SeriesSample[]> {
        this.queries.push(query);
        const k = (this.scrapes.get(query) ?? 0) + 1;
        this.scrapes.set(query, k);
        if (this.down || this.failScrapes.has(k)) {
            return Promise.reject(new MetricsError("unreachable", this.downMessage));
        }
        const version = /destination_version="([^"]+)"/.exec(query)?.[1] ?? "";
        const per = this.versions[version]?.perScrape;
        if (per === undefined) {
            return Promise.resolve([]);
        }
        if (query.startsWith("istio_requests_total")) {
            return Promise.resolve([
                { labels: { response_code: "200" }, value: k * (per.requests - per.errors) },
                { labels: { response_code: "503" }, value: k * per.errors },
            ]);
        }
        if (query.startsWith("istio_request_duration_milliseconds_bucket")) {
            return Promise.resolve([
                { labels: { le: "500" }, value: k * (per.requests - per.slow) },
                { labels: { le: "1000" }, value: k * (per.requests - per.slow) },
                { labels: { le: "+Inf" }, value: k * per.requests },
            ]);
        }
        return Promise.reject(new MetricsError("query", `unexpected query ${query}`));
    }
}

export interface Harness {
    store: MemoryStack;
    driver: MemoryDriver;
    clock: FakeClock;
    metrics: FakeMetrics;
    events: ReleaseEvent[];
    deps: ReleaseDeps;
}

/** A memory stack, driver, fake clock and metrics wired as `ReleaseDeps`. */
export function harness(opts: { config?: Record<string, unknown>; versions?: Record<string, VersionHealth>; store?: MemoryStack; signal?: AbortSignal } = {}): Harness {
    const store = opts.store ?? new MemoryStack(opts.config ?? stackConfig());
    const driver = new MemoryDriver("dev", store);
    const clock = new FakeClock();
    const metrics = new FakeMetrics(opts.versions ?? { v1: HEALTHY, v2: HEALTHY });
    const events: ReleaseEvent[] = [];
    const deps: ReleaseDeps = { driver, clock, metrics: () => metrics, emit: (e) => events.push(e), signal: opts.signal, holder: "test" };
    return { store, driver, clock, metrics, events, deps };
}

/** `failUpdate` that fails the attempts whose index is in `attempts`. */
export function failAttempts(...attempts: number[]): (n: number) => DriverError["kind"] | undefined {
    return (n) => (attempts.includes(n) ? "failed" : undefined);
}

/** Events of one type, typed. */
export function ofType<T extends ReleaseEvent["type"]>(events: readonly ReleaseEvent[], type: T): Extract<ReleaseEvent, { type: T }>[] {
    return events.filter((e): e is Extract<ReleaseEvent, { type: T }> => e.type === type);
}

/** `mesh-release <argv>` through the CLI's library entry on a harness: exit code, stdout and stderr. */
export async function runCliOn(argv: string[], h: Harness, env: Readonly<Record<string, string>> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const io: CliIO = {
        stdout: (s) => (stdout += s),
        stderr: (s) => (stderr += s),
        tty: false,
        cwd: "/work/proj",
        env,
        tickMs: 0,
        now: () => h.clock.now(),
        connect: () => ({ driver: h.driver, metrics: () => h.metrics, clock: h.clock }),
    };
    const code = await runCli(argv, io);
    return { code, stdout, stderr };
}
