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
    /** True once the analysis of the current step has passed. */
    stepAnalyzed: z.boolean().default(false),
    failedChecks: z.number().int().min(0).default(0),
    inconclusiveChecks: z.number().int().min(0).default(0),
    errorChecks: z.number().int().min(0).default(0),
    /** RFC 3339 time of the last state change. */
    updatedAt: z.string(),
    /** Human-readable reason of the last transition (e.g. why it rolled back). */
    message: z.string().optional(),
});

export type RolloutState = z.infer<typeof rolloutStateSchema>;

export const rolloutsSchema = z.record(z.string(), rolloutStateSchema);
