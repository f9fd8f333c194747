/**
 * Schemas of the two stack-config keys owned by the release program:
 * `mesh-traffic:release` (the rollout policy, written by people) and
 * `mesh-traffic:rollouts` (the recorded rollout state, written only by `mesh-release`).
 *
 * The stack config schema (contract/schema.ts) embeds these schemas, so one definition validates both
 * programs. Durations are Go-style strings ("30s", "1m30s"), Go's grammar (components/validation.ts).
 */
import { z } from "zod";
import { GO_DURATION } from "../components/validation";
import { jsonOrText } from "./stackConfig";

/**
 * A Go duration field whose message is `rule`; a number without a unit (`15`, `"15"`: what YAML and a quick
 * `pulumi config set` give) is told that a Go duration needs one.
 */
export function durationSchema(rule: string) {
    const message = (input: unknown): string => {
        const n = typeof input === "number" ? input : typeof input === "string" && /^\s*\d+(\.\d+)?\s*$/.test(input) ? Number(input) : undefined;
        if (n === undefined || !Number.isFinite(n)) {
            return rule;
        }
        return n === 0
            ? 'must be a Go duration, which needs a unit: a bare 0 has none; write e.g. "0s" where zero is allowed, or a length such as "30s"'
            : `must be a Go duration, which needs a unit: "${n}s" for ${n} seconds or "${n}ms" for ${n} milliseconds (units h, m, s, ms, us, ns)`;
    };
    return z.string({ error: (issue) => message(issue.input) }).regex(GO_DURATION, { error: (issue) => message(issue.input) });
}

const duration = durationSchema("must be a Go-style duration such as 500ms, 30s or 1m30s");

/** RFC 3339 date-time with a time zone (`2026-01-01T12:00:00Z`, `2026-01-01T12:00:00.123+02:00`). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** `text` is an RFC 3339 time that names a real instant (no 2026-02-30, no 25:00). */
export function isRfc3339(text: string): boolean {
    const m = RFC3339.exec(text);
    if (m === null) {
        return false;
    }
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const date = new Date(Date.UTC(year, month - 1, day));
    return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 61 && !Number.isNaN(Date.parse(text));
}

export const webhookSchema = z
    .strictObject({
        name: z.string().min(1).meta({ description: "Name shown in events and errors." }),
        type: z
            .enum(["pre-rollout", "pre-step", "confirm-promotion", "post-rollout", "rollback"])
            .meta({ description: "When the hook runs." }),
        url: z
            .string({ error: "must be an http or https URL such as https://hooks.example.com/rollout" })
            .meta({ description: "http(s) URL that receives a JSON POST; no credentials in it." }),
        timeout: duration.default("10s").meta({ description: "Per-attempt timeout, Go duration." }),
        retries: z.number().int().min(0).max(10).default(2).meta({ description: "Attempts after the first." }),
    })
    .meta({ description: "One webhook: a JSON POST at a point of the rollout." });

export const customMetricSchema = z
    .strictObject({
        name: z
            .string()
            .regex(/^[a-z][a-z0-9-]*$/, { message: "must be lower-case letters, digits and dashes" })
            .meta({ description: "Name of the check in events and reports: lower-case letters, digits and dashes." }),
        query: z.string().min(1).meta({
            description:
                "PromQL template. Variables: {{service}}, {{namespace}}, {{version}}, {{interval}}; every value is " +
                "validated before it is put into the query.",
        }),
        min: z.number().optional().meta({
            description: "Lower bound: the check passes when min <= value <= max. At least one of min, max is required.",
        }),
        max: z.number().optional().meta({
            description: "Upper bound: the check passes when min <= value <= max. At least one of min, max is required.",
        }),
    })
    .meta({ description: "One custom check: a PromQL query whose value must lie between min and max." });


/** One approval gate: `mesh-release` pauses before the update of the step with weight `beforeStep` until it is approved. */
export const gateSchema = z
    .strictObject({
        beforeStep: z
            .number({ error: "must be the weight of one of the steps, an integer from 1 to 100 (percent), such as 50" })
            .int({ error: "must be the weight of one of the steps, an integer from 1 to 100 (percent), such as 50" })
            .min(1, { error: "must be the weight of one of the steps, an integer from 1 to 100 (percent), such as 50" })
            .max(100, { error: "must be the weight of one of the steps, an integer from 1 to 100 (percent), such as 50" })
            .meta({ description: "The step (its weight, percent, one of `steps`) whose update waits for the approval." }),
        approval: z
            .enum(["manual", "ci"])
            .default("manual")
            .meta({ description: "Who approves: manual (a person; an approval from a CI job, CI=true, is refused) or ci (a CI job: CI=true)." }),
        timeout: duration.default("1h").meta({ description: "How long the gate waits for a decision, Go duration." }),
        onTimeout: z
            .enum(["rollback", "wait"])
            .default("rollback")
            .meta({ description: "At the timeout: rollback (all traffic to stable; never gated) or wait (keep waiting for a decision)." }),
        services: z
            .array(z.string().min(1))
            .min(1)
            .optional()
            .meta({ description: "Services the gate applies to; absent: every service of the stack (a service stack has one)." }),
    })
    .meta({ description: "An approval gate before a step: the release pauses, shows the step's preview and goes on when approved." });

export const releaseSchema = z.strictObject({
    steps: z
        .array(z.number().int().min(1).max(100))
        .min(1)
        .default([2, 10, 25, 50, 75, 100])
        .meta({
            description:
                "Canary weights, in percent, one `pulumi up` each. The 2 % first step keeps a bad canary's first shift, analysis and " +
                "rollback small (README: Safe defaults); the default before it was [10, 25, 50, 75, 100].",
        }),
    interval: duration.default("60s").meta({ description: "Analysis window and wait between steps, Go duration." }),
    analysis: z
        .strictObject({
            successRate: z
                .number()
                .min(0)
                .max(100)
                .default(95)
                .meta({ description: "Minimum request success rate, percent." }),
            latencyP95Ms: z
                .number({ error: "must be a number of milliseconds greater than 0" })
                .positive({ error: "must be a number of milliseconds greater than 0" })
                .default(1000).meta({ description: "Maximum p95 latency, milliseconds." }),
            minRequests: z
                .number()
                .int()
                .min(1)
                .default(10)
                .meta({ description: "Fewer requests than this in the window makes the check Inconclusive." }),
            reporter: z
                .enum(["source", "destination"])
                .default("source")
                .meta({ description: "Which Istio reporter's metrics to read; source sees client-side 503s." }),
            failureLimit: z
                .number()
                .int()
                .min(0)
                .default(0)
                .meta({ description: "Failed checks tolerated before rollback; 0: the first failure rolls back." }),
            inconclusiveLimit: z
                .number()
                .int()
                .min(0)
                .default(2)
                .meta({ description: "Inconclusive checks tolerated before rollback." }),
            errorLimit: z
                .number()
                .int()
                .min(0)
                .default(2)
                .meta({ description: "Consecutive errors (Prometheus unreachable) tolerated before rollback." }),
            compareWithStable: z
                .strictObject({
                    maxErrorRateIncrease: z
                        .number()
                        .min(0)
                        .max(100)
                        .default(1)
                        .meta({ description: "Allowed excess of canary error rate over stable's, percentage points." }),
                })
                .optional()
                .meta({ description: "Compare the canary's error rate with stable's over the same window; absent = off." }),
            mode: z
                .enum(["auto", "fixed", "sequential"])
                .default("auto")
                .meta({
                    description:
                        "How a step is judged. fixed (the default before auto): once, at the end of the window, point estimates against the thresholds. " +
                        "sequential: at every Prometheus scrape with anytime-valid tests; a canary that is certainly worse " +
                        "stops the step at once, and a pass needs the full window and confidence bounds inside the thresholds " +
                        "auto (the default): sequential, except that at the window's end a threshold test whose requests could not " +
                        "give evidence of a pass for a canary at a quarter of its limit passes on its point estimate, as in fixed mode; " +
                        "a window shorter than prometheus.scrapeInterval is judged as in fixed mode " +
                        "(README: Sequential analysis).",
                }),
            alpha: z
                .number()
                .gt(0)
                .max(0.5)
                .default(0.05)
                .meta({
                    description:
                        "Sequential mode: the false-rollback rate of a whole rollout of a healthy canary, however many looks and steps " +
                        "(split evenly over 4 tests and the steps); also the most a canary outside a threshold passes.",
                }),
            metrics: z
                .array(customMetricSchema)
                .default([])
                .meta({ description: "Custom PromQL checks, judged with the built-in ones at every step." }),
        })
        .prefault({})
        .meta({ description: "How each step is judged: thresholds and the failures tolerated before rollback." }),
    prometheus: z
        .strictObject({
            url: z
                .string({ error: "must be an http or https URL such as http://127.0.0.1:9090" })
                .default("http://127.0.0.1:9090")
                .meta({ description: "Base URL of the Prometheus HTTP API, http or https; credentials go in basicAuth, never in the URL." }),
            timeout: duration.default("5s").meta({ description: "Query timeout, Go duration." }),
            scrapeInterval: duration.default("15s").meta({
                description: "How often Prometheus scrapes the mesh; the sequential analysis looks once per scrape, Go duration.",
            }),
            bearerToken: z
                .string()
                .optional()
                .meta({ description: "Bearer token; must be a Pulumi secret (`pulumi config set --secret`): plain text is refused." }),
            basicAuth: z
                .strictObject({
                    username: z.string().min(1).meta({ description: "Basic-auth user name." }),
                    password: z
                        .string()
                        .meta({ description: "Basic-auth password; must be a Pulumi secret (`pulumi config set --secret`): plain text is refused." }),
                })
                .optional()
                .meta({ description: "HTTP basic authentication towards Prometheus." }),
        })
        .prefault({})
        .meta({ description: "The Prometheus that the analysis queries." }),
    webhooks: z
        .array(webhookSchema)
        .default([])
        .meta({ description: "Hooks called before, during and after a rollout." }),
    gates: z
        .array(gateSchema)
        .default([])
        .meta({ description: "Approval gates before chosen steps (README: Approval gates); a rollback is never gated." }),
    update: z
        .strictObject({
            retries: z.number().int().min(0).max(10).default(2).meta({ description: "Attempts after the first." }),
            backoff: duration
                .default("5s")
                .meta({ description: "Wait before the first retry, Go duration; doubles each retry." }),
        })
        .prefault({})
        .meta({ description: "How each `pulumi up` is retried before the rollout rolls back." }),
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

/** One decision of an approval gate, kept in the recorded state (who, when, which plan). */
export const approvalRecordSchema = z.strictObject({
    stepIndex: z.number().int().min(0).meta({ description: "Index into `steps` of the gated step." }),
    weight: z.number().int().min(1).max(100).meta({ description: "The gated step's weight, percent." }),
    decision: z.enum(["approved", "rejected", "timed-out"]).meta({ description: "What was decided." }),
    by: z.string().optional().meta({ description: "Who decided (`--by`, else user@host); absent for a timeout." }),
    kind: z.enum(["manual", "ci"]).optional().meta({ description: "Whether a person or a CI job decided." }),
    at: z.string().meta({ description: "RFC 3339 time of the decision." }),
    plan: z.string().optional().meta({ description: "sha256 of the Pulumi update plan that was approved (what `pulumi up --plan` applied)." }),
    reason: z.string().optional().meta({ description: "The reason given with a rejection." }),
}).meta({ description: "One decision of an approval gate: what, who, when and which plan." });

export type ApprovalRecord = z.infer<typeof approvalRecordSchema>;

/** Recorded state of one service's rollout; written only by mesh-release, read on resume. */
export const rolloutStateSchema = z.strictObject({
    phase: rolloutPhaseSchema.meta({ description: "Where the rollout is." }),
    version: z.string().min(1).meta({ description: "The version being rolled out." }),
    stepIndex: z
        .number()
        .int()
        .min(-1)
        .meta({ description: "Index into `steps` of the current step; -1 before the first shift." }),
    steps: z.array(z.number().int().min(1).max(100)).min(1).optional().meta({
        description: "The weights of this rollout, fixed when it starts (a resume keeps them even if the policy changed).",
    }),
    stepApplied: z
        .boolean()
        .default(false)
        .meta({ description: "True once an update that applied the current step's weight has succeeded." }),
    stepAnalyzed: z
        .boolean()
        .default(false)
        .meta({ description: "True once the analysis of the current step has passed." }),
    promotionStage: z.number().int().min(0).max(1).default(0).meta({
        description: "Promotion progress: 0 before the first of the two updates, 1 after it (see docs/config-contract.md).",
    }),
    revision: z.string().min(1).optional().meta({
        description:
            "The release's revision, fixed when the rollout starts: written to services.<svc>.canary.revision with every step, so the " +
            "session-affinity cookies of this release match no other release's routes.",
    }),
    previousStable: z.string().min(1).optional().meta({
        description:
            "The stable version a promotion replaces, recorded when it starts: a rollback of a promotion stopped midway puts it back.",
    }),
    aborted: z.boolean().default(false).meta({
        description: "True when the rollback was asked for (abort, a signal) rather than decided by the analysis.",
    }),
    failedChecks: z.number().int().min(0).default(0).meta({ description: "Failed checks so far, against `failureLimit`." }),
    inconclusiveChecks: z
        .number()
        .int()
        .min(0)
        .default(0)
        .meta({ description: "Inconclusive checks so far, against `inconclusiveLimit`." }),
    errorChecks: z
        .number()
        .int()
        .min(0)
        .default(0)
        .meta({ description: "Consecutive errored checks, against `errorLimit`." }),
    updatedAt: z
        .string({ error: 'must be an RFC 3339 time such as "2026-01-01T12:00:00Z"' })
        .refine(isRfc3339, { error: 'must be an RFC 3339 time such as "2026-01-01T12:00:00Z" (date, "T", time, and "Z" or an offset like +02:00)' })
        .meta({ description: "RFC 3339 time of the last state change." }),
    message: z.string().optional().meta({ description: "Human-readable reason of the last transition (e.g. why it rolled back)." }),
    approvals: z.array(approvalRecordSchema).optional().meta({ description: "Decisions of the approval gates of this rollout, oldest first." }),
});

export type RolloutState = z.infer<typeof rolloutStateSchema>;

/**
 * `mesh-release` writes each service's state as one JSON string (`pulumi config set --path rollouts.<svc> '{...}'`):
 * one key set is atomic, and no stale field or array element survives from an earlier rollout. A hand-written
 * YAML object is accepted too.
 */
export const recordedRolloutStateSchema = z
    // a string that is not JSON stays a string: the object schema then reports "expected object, received string"
    .preprocess((value) => (typeof value === "string" ? jsonOrText(value) : value), rolloutStateSchema)
    .meta({
        description:
            "Recorded state of one service's rollout, read on resume: one JSON string written by mesh-release " +
            "(a hand-written YAML object is accepted too).",
    });

export const rolloutsSchema = z.record(z.string(), recordedRolloutStateSchema);
