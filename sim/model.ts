/**
 * The traffic model of the simulator: N requests per second, split by a routing plan, each served
 * by a version with that version's error rate and latency, recorded as Istio's standard metrics
 * and counted per version. No clock and no I/O: the caller advances it by elapsed milliseconds.
 */
import { z } from "zod";
import { istioRequestLabels, IstioMetrics } from "./metrics";
import type { Rng } from "./rng";
import { outcomeKey, pickOutcome, type RoutingPlan, type ServiceRef } from "./routing";

/** How one version behaves. */
export interface VersionBehavior {
    /** Share of served requests that fail with `errorCode`, 0..1. Default 0. */
    errorRate: number;
    /** HTTP status of a failed request. Default 500. */
    errorCode: number;
    /** Mean request duration, milliseconds. Default 20. */
    latencyMs: number;
    /**
     * Spread of the duration as a fraction of `latencyMs`: durations are uniform in
     * latencyMs * [1 - jitter, 1 + jitter], so p95 = latencyMs * (1 + 0.9 * jitter). Default 0.1.
     */
    latencyJitter: number;
    /**
     * Share of requests the client proxy rejects before sending them (circuit-breaker overflow,
     * 503 with response flag UO). They appear only under reporter="source", and the version does
     * not serve them. Default 0.
     */
    overflowRate: number;
}

export const DEFAULT_BEHAVIOR: Readonly<VersionBehavior> = {
    errorRate: 0,
    errorCode: 500,
    latencyMs: 20,
    latencyJitter: 0.1,
    overflowRate: 0,
};

/** Schema of a partial behavior, as the control endpoint and the CLI accept it. */
export const behaviorPatchSchema = z.strictObject({
    errorRate: z.number().min(0).max(1).optional(),
    errorCode: z.number().int().min(100).max(599).optional(),
    latencyMs: z.number().min(0).max(3_600_000).optional(),
    latencyJitter: z.number().min(0).max(1).optional(),
    overflowRate: z.number().min(0).max(1).optional(),
});

/** A version label as Kubernetes accepts it. */
export const versionNameSchema = z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    message: "must be a Kubernetes label value (letters, digits, '-', '_', '.'; at most 63)",
});

/** Body of POST /control: version -> partial behavior. */
export const controlSchema = z.record(versionNameSchema, behaviorPatchSchema);

export type BehaviorPatch = z.infer<typeof behaviorPatchSchema>;

/** Request counts of one version. */
export interface VersionStats {
    /** Requests the version's pods handled (successful or not). */
    served: number;
    /** Served requests that failed with the version's error code. */
    errors: number;
    /** Requests for the version the client proxy rejected (UO); not served. */
    overflow: number;
    /** Requests the route's fault filter aborted (FI); not served. */
    faultAborted: number;
    /** Requests the route's fault filter delayed (DI). */
    faultDelayed: number;
}

/** Counts since the start, as /stats shows them. */
export interface TrafficStats {
    /** Requests generated. */
    requests: number;
    versions: Record<string, VersionStats>;
    /** No route matched (404 NR). */
    noRoute: number;
    /** Route to a subset the DestinationRule lacks (503 NC). */
    noCluster: number;
    /** Route to a cluster without endpoints (503 UH). */
    noHealthy: number;
    /** Routed to another host; not counted in our metrics. */
    otherHost: number;
    /** Nothing could serve it (no route data yet, or no default version). */
    unserved: number;
}

export interface TrafficModelOptions {
    service: ServiceRef;
    /** Requests per second generated. Default 100. */
    rps?: number;
    /** Calling workload name. Default "loadgenerator". */
    sourceWorkload?: string;
    /** Namespace of the caller. Default: the service's namespace. */
    sourceNamespace?: string;
    rng: Rng;
}

/** Sample a duration: uniform in latencyMs * [1 - jitter, 1 + jitter], never negative. */
export function sampleLatencyMs(b: VersionBehavior, u: number): number {
    return Math.max(0, b.latencyMs * (1 + b.latencyJitter * (2 * u - 1)));
}

/**
 * How many requests an elapsed time produces at `rps`, carrying the fraction over so that the
 * long-run rate is exact: returns [requests now, new carry].
 */
export function requestsFor(elapsedMs: number, rps: number, carry: number): [number, number] {
    const exact = carry + (rps * elapsedMs) / 1000;
    const whole = Math.floor(exact);
    return [whole, exact - whole];
}

export class TrafficModel {
    readonly metrics = new IstioMetrics();
    private plan: RoutingPlan = { outcomes: [], source: "no routing yet" };
    private readonly behaviors = new Map<string, VersionBehavior>();
    private carry = 0;
    private readonly counts: TrafficStats = {
        requests: 0,
        versions: {},
        noRoute: 0,
        noCluster: 0,
        noHealthy: 0,
        otherHost: 0,
        unserved: 0,
    };
    private readonly rps: number;
    private readonly sourceWorkload: string;
    private readonly sourceNamespace: string;

    constructor(private readonly opts: TrafficModelOptions) {
        this.rps = opts.rps ?? 100;
        if (!(this.rps > 0 && this.rps <= 100_000)) {
            throw new Error(`rps is ${this.rps}; it must be a number from 0 (exclusive) to 100000`);
        }
        this.sourceWorkload = opts.sourceWorkload ?? "loadgenerator";
        this.sourceNamespace = opts.sourceNamespace ?? opts.service.namespace;
    }

    setPlan(plan: RoutingPlan): void {
        this.plan = plan;
    }

    currentPlan(): RoutingPlan {
        return this.plan;
    }

    /** Merge a partial behavior into a version's (unset fields keep their value or default). */
    patchBehavior(version: string, patch: BehaviorPatch): void {
        const current = this.behavior(version);
        this.behaviors.set(version, {
            errorRate: patch.errorRate ?? current.errorRate,
            errorCode: patch.errorCode ?? current.errorCode,
            latencyMs: patch.latencyMs ?? current.latencyMs,
            latencyJitter: patch.latencyJitter ?? current.latencyJitter,
            overflowRate: patch.overflowRate ?? current.overflowRate,
        });
    }

    behavior(version: string): VersionBehavior {
        return this.behaviors.get(version) ?? { ...DEFAULT_BEHAVIOR };
    }

    allBehaviors(): Record<string, VersionBehavior> {
        return Object.fromEntries(this.behaviors);
    }

    stats(): TrafficStats {
        return structuredClone(this.counts);
    }

    /** Generate the requests of `elapsedMs` milliseconds. Returns how many were generated. */
    advance(elapsedMs: number): number {
        const [n, carry] = requestsFor(Math.max(0, elapsedMs), this.rps, this.carry);
        this.carry = carry;
        for (let i = 0; i < n; i++) {
            this.one();
        }
        return n;
    }

    private versionStats(version: string): VersionStats {
        const s = this.counts.versions[version] ?? { served: 0, errors: 0, overflow: 0, faultAborted: 0, faultDelayed: 0 };
        this.counts.versions[version] = s;
        return s;
    }

    private record(reporter: "source" | "destination", version: string, code: number, flags: string, ms: number): void {
        const labels = istioRequestLabels({
            reporter,
            sourceWorkload: this.sourceWorkload,
            sourceNamespace: this.sourceNamespace,
            serviceName: this.opts.service.name,
            serviceNamespace: this.opts.service.namespace,
            destinationVersion: version,
            responseCode: code,
            responseFlags: flags,
        });
        this.metrics.record(labels, ms);
    }

    /** One request. */
    private one(): void {
        const rng = this.opts.rng;
        this.counts.requests += 1;
        const outcome = pickOutcome(this.plan.outcomes, rng());
        if (outcome === undefined) {
            this.counts.unserved += 1;
            return;
        }
        switch (outcome.kind) {
            case "version": {
                const b = this.behavior(outcome.version);
                const s = this.versionStats(outcome.version);
                const fault = outcome.fault;
                if (fault?.abortCode !== undefined && rng() < (fault.abortShare ?? 0)) {
                    // Envoy's fault filter answers for the version: only the client proxy reports it (flag FI).
                    s.faultAborted += 1;
                    this.record("source", outcome.version, fault.abortCode, "FI", 0.2);
                    return;
                }
                const delayMs = fault?.delayMs !== undefined && rng() < (fault.delayShare ?? 0) ? fault.delayMs : 0;
                if (delayMs > 0) {
                    s.faultDelayed += 1;
                }
                if (rng() < b.overflowRate) {
                    s.overflow += 1;
                    this.record("source", outcome.version, 503, "UO", 0.2);
                    return;
                }
                s.served += 1;
                const failed = rng() < b.errorRate;
                if (failed) {
                    s.errors += 1;
                }
                const ms = sampleLatencyMs(b, rng());
                const code = failed ? b.errorCode : 200;
                this.record("destination", outcome.version, code, "-", ms);
                // The client proxy sees the same answer a little later (plus an injected delay, flag DI).
                this.record("source", outcome.version, code, delayMs > 0 ? "DI" : "-", ms + delayMs + 0.3);
                return;
            }
            case "noRoute":
                this.counts.noRoute += 1;
                this.record("source", "unknown", 404, "NR", 0.1);
                return;
            case "noCluster":
                this.counts.noCluster += 1;
                this.record("source", "unknown", 503, "NC", 0.1);
                return;
            case "noHealthy":
                this.counts.noHealthy += 1;
                this.record("source", "unknown", 503, "UH", 0.1);
                return;
            case "otherHost":
                this.counts.otherHost += 1;
                return;
            case "unserved":
                this.counts.unserved += 1;
                return;
            default: {
                const never: never = outcome;
                throw new Error(`unhandled outcome ${outcomeKey(never)}`);
            }
        }
    }
}
