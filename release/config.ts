/**
 * Schemas of the two stack-config keys owned by the release program:
 * `mesh-traffic:release` (the rollout policy, written by people) and
 * `mesh-traffic:rollouts` (the recorded rollout state, written only by `mesh-release`).
 *
 * The Pulumi program's stack-config parser (stacks/config.ts) embeds these schemas, so one
 * definition validates both sides. Durations are Go-style strings ("30s", "1m30s").
 */
import { z } from "zod";

/** Go-style duration as Istio and Prometheus accept it: one or more <number><unit>, units h, m, s, ms. */
export const GO_DURATION = /^(\d+(\.\d+)?(h|m|s|ms))+$/;

const duration = z.string().regex(GO_DURATION, {
    message: "must be a Go-style duration such as 500ms, 30s or 1m30s",
});

const DURATION_UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * Milliseconds of a Go-style duration ("1m30s" -> 90000). Returns undefined when the text is not one.
 * Fractions are kept and the result is rounded to whole milliseconds.
 */
export function parseDuration(text: string): number | undefined {
    if (!GO_DURATION.test(text)) {
        return undefined;
    }
    let total = 0;
    for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
        const unit = DURATION_UNIT_MS[m[2] ?? ""];
        if (unit === undefined) {
            return undefined;
        }
        total += Number(m[1]) * unit;
    }
    return Math.round(total);
}

export const webhookSchema = z.strictObject({
    /** Name shown in events and errors. */
    name: z.string().min(1),
    /** When the hook runs. */
    type: z.enum(["pre-rollout", "pre-step", "confirm-promotion", "post-rollout", "rollback"]),
    /** http(s) URL that receives a JSON POST. */
    url: z.url(),
    /** Per-attempt timeout. Default 10s. */
    timeout: duration.default("10s"),
    /** Attempts after the first. Default 2. */
    retries: z.number().int().min(0).max(10).default(2),
});

export const customMetricSchema = z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, { message: "must be lower-case letters, digits and dashes" }),
    /**
     * PromQL template. Variables: {{service}}, {{namespace}}, {{version}}, {{interval}}; every value is
     * validated before it is put into the query.
     */
    query: z.string().min(1),
    /** The verdict passes when min <= value <= max. At least one bound is required. */
    min: z.number().optional(),
    max: z.number().optional(),
});

export const releaseSchema = z.strictObject({
    /** Canary weights, in percent, one `pulumi up` each. Default [10, 25, 50, 75, 100]. */
    steps: z.array(z.number().int().min(1).max(100)).min(1).default([10, 25, 50, 75, 100]),
    /** Analysis window and wait between steps. Default 60s. */
    interval: duration.default("60s"),
    analysis: z
        .strictObject({
            /** Minimum request success rate, percent. Default 95. */
            successRate: z.number().min(0).max(100).default(95),
            /** Maximum p95 latency, milliseconds. Default 1000. */
            latencyP95Ms: z.number().positive().default(1000),
            /** Fewer requests than this in the window makes the check Inconclusive. Default 10. */
            minRequests: z.number().int().min(1).default(10),
            /** Which Istio reporter's metrics to read. Default "source" (sees client-side 503s). */
            reporter: z.enum(["source", "destination"]).default("source"),
            /** Failed checks tolerated before rollback. Default 0 (the first failure rolls back). */
            failureLimit: z.number().int().min(0).default(0),
            /** Inconclusive checks tolerated before rollback. Default 2. */
            inconclusiveLimit: z.number().int().min(0).default(2),
            /** Consecutive errors (Prometheus unreachable) tolerated before rollback. Default 2. */
            errorLimit: z.number().int().min(0).default(2),
            /** Compare the canary's error rate with stable's over the same window. */
            compareWithStable: z
                .strictObject({
                    /** Allowed excess of canary error rate over stable's, percentage points. Default 1. */
                    maxErrorRateIncrease: z.number().min(0).max(100).default(1),
                })
                .optional(),
            metrics: z.array(customMetricSchema).default([]),
        })
        .prefault({}),
    prometheus: z
        .strictObject({
            /** Base URL of the Prometheus HTTP API. */
            url: z.url().default("http://127.0.0.1:9090"),
            /** Query timeout. Default 5s. */
            timeout: duration.default("5s"),
            /** Bearer token; set it with `pulumi config set --secret`. */
            bearerToken: z.string().optional(),
            basicAuth: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
        })
        .prefault({}),
    webhooks: z.array(webhookSchema).default([]),
    /** How each `pulumi up` is retried before the rollout rolls back. */
    update: z
        .strictObject({
            /** Attempts after the first. Default 2. */
            retries: z.number().int().min(0).max(10).default(2),
            /** Wait before the first retry; doubles each retry. Default 5s. */
            backoff: duration.default("5s"),
        })
        .prefault({}),
});

export type ReleaseConfig = z.infer<typeof releaseSchema>;

export const rolloutPhaseSchema = z.enum([
    "Progressing",
    "Promoting",
    "Promoted",
    "RollingBack",
    "RolledBack",
    "Aborted",
]);

/** Recorded state of one service's rollout; written only by mesh-release, read on resume. */
export const rolloutStateSchema = z.strictObject({
    phase: rolloutPhaseSchema,
    /** The version being rolled out. */
    version: z.string().min(1),
    /** Index into `release.steps` of the current step; -1 before the first shift. */
    stepIndex: z.number().int().min(-1),
    /** The weights of this rollout, fixed when it starts (a resume keeps them even if the policy changed). */
    steps: z.array(z.number().int().min(1).max(100)).min(1).optional(),
    /** True once an update that applied the current step's weight has succeeded. */
    stepApplied: z.boolean().default(false),
    /** True once the analysis of the current step has passed. */
    stepAnalyzed: z.boolean().default(false),
    /** Promotion progress: 0 before the first of the two updates, 1 after it (see docs/config-contract.md). */
    promotionStage: z.number().int().min(0).max(1).default(0),
    /** True when the rollback was asked for (abort, a signal) rather than decided by the analysis. */
    aborted: z.boolean().default(false),
    failedChecks: z.number().int().min(0).default(0),
    inconclusiveChecks: z.number().int().min(0).default(0),
    errorChecks: z.number().int().min(0).default(0),
    /** RFC 3339 time of the last state change. */
    updatedAt: z.string(),
    /** Human-readable reason of the last transition (e.g. why it rolled back). */
    message: z.string().optional(),
});

export type RolloutState = z.infer<typeof rolloutStateSchema>;

/**
 * `mesh-release` writes each service's state as one JSON string (`pulumi config set --path rollouts.<svc> '{...}'`):
 * one key set is atomic, and no stale field or array element survives from an earlier rollout. A hand-written
 * YAML object is accepted too.
 */
export const recordedRolloutStateSchema = z.preprocess((value) => {
    if (typeof value !== "string") {
        return value;
    }
    try {
        return JSON.parse(value) as unknown;
    } catch {
        return value; // the object schema then reports "expected object, received string"
    }
}, rolloutStateSchema);

export const rolloutsSchema = z.record(z.string(), recordedRolloutStateSchema);
