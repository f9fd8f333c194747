/**
 * Approval gates (`release.gates`): a release pauses before a chosen step, shows the change the step's update will
 * make (a preview whose plan is saved), and goes on when someone approves that plan, from any machine that shares
 * the state backend. Modelled on Argo Rollouts' pause steps (`pause: {}` until `kubectl argo rollouts promote`,
 * `pause: {duration}`) and Flagger's manual gates (a gate webhook the load tester opens and closes).
 *
 * Where the gate lives: a stack tag of the service's stack, {@link gateTag}, on the state backend (the DIY backend
 * keeps a stack's tags in `<stack>.pulumi-tags` beside its checkpoint, where the release lease is: every runner that
 * shares the backend reads the same record). The record is JSON ({@link gateRecordSchema}): the step, the plan's
 * sha256, the program's, a summary of the changes, who asked and until when, and the decision once there is one.
 *
 * What an approval binds: the plan (its sha256), the program (the sha256 of its source files) and the config the
 * plan was made with (an HMAC under a key only the waiting process holds: the config holds secrets, and a plain
 * hash of it on the backend could be tested against guesses). After the approval the release checks the program
 * and the config again and runs `pulumi up --plan` with the approved plan, so the engine refuses any operation the
 * approved preview did not show; a changed program or config is refused before anything is applied.
 *
 * Pure: no I/O (release/rollout/gatedStep.ts waits, release/orchestration/approve.ts decides, through the driver's {@link GateBackend}).
 */
import { createHmac, randomBytes } from "node:crypto";
import { z } from "zod";
import type { GateSpec } from "./policy";

/** The stack tag holding a service's gate record. */
export function gateTag(service: string): string {
    return `mesh-release:gate:${service}`;
}

export const GATE_STATUSES = ["pending", "approved", "rejected", "timed-out", "applied", "stale"] as const;
export type GateStatus = (typeof GATE_STATUSES)[number];

export const gateRecordSchema = z.object({
    v: z.literal(1),
    /** Random per wait: a record of an earlier wait is never taken for this one. */
    id: z.string().min(1),
    stack: z.string(),
    service: z.string(),
    version: z.string(),
    stepIndex: z.number().int().min(0),
    steps: z.number().int().min(1),
    weight: z.number().int().min(1).max(100),
    approval: z.enum(["manual", "ci"]),
    onTimeout: z.enum(["rollback", "wait"]),
    /** `sha256:<hex>` of the saved plan file. */
    plan: z.string(),
    /** `sha256:<hex>` of the program's source files. */
    program: z.string(),
    /** The preview's change counts, e.g. "1 update, 6 same". */
    summary: z.string(),
    /** One line per changed resource (at most {@link MAX_CHANGE_LINES}). */
    changes: z.array(z.string()),
    requestedBy: z.string(),
    requestedAt: z.string(),
    expiresAt: z.string(),
    status: z.enum(GATE_STATUSES),
    decidedBy: z.string().optional(),
    decidedKind: z.enum(["manual", "ci"]).optional(),
    decidedAt: z.string().optional(),
    reason: z.string().optional(),
});

export type GateRecord = z.infer<typeof gateRecordSchema>;

export const MAX_CHANGE_LINES = 40;

/** The record in a stack tag's value; a value that is not one is named, never a TypeError. */
export function parseGateRecord(text: string | undefined): { record?: GateRecord; problem?: string } {
    if (text === undefined || text === "") {
        return {};
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        return { problem: `the gate record is not JSON (${(err as Error).message})` };
    }
    const parsed = gateRecordSchema.safeParse(value);
    if (!parsed.success) {
        const first = parsed.error.issues[0];
        return { problem: `the gate record is not one mesh-release writes (${first !== undefined ? `${first.path.join(".") || "(the value)"}: ${first.message}` : "invalid"})` };
    }
    return { record: parsed.data };
}

/** The gate before the step of weight `weight` for `service`, if any. */
export function gateFor(gates: readonly GateSpec[], service: string, weight: number): GateSpec | undefined {
    return gates.find((g) => g.weight === weight && (g.services === undefined || g.services.includes(service)));
}

export function newGateId(): string {
    return randomBytes(8).toString("hex");
}

/** A key for {@link configDigest}, held only by the waiting process. */
export function newDigestKey(): string {
    return randomBytes(32).toString("hex");
}

/** JSON with object keys sorted at every level: one text per value. */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map(canonicalJson).join(",")}]`;
    }
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value) ?? "null";
}

/** HMAC-SHA256 of the config under `key` (never a plain hash: the config holds secrets). */
export function configDigest(config: unknown, key: string): string {
    return `hmac-sha256:${createHmac("sha256", key).update(canonicalJson(config)).digest("hex")}`;
}

/** The config paths whose values differ between `a` and `b` (names only: values may be secrets), at most `max`. */
export function changedPaths(a: unknown, b: unknown, max = 10, prefix = ""): string[] {
    const out: string[] = [];
    const walk = (x: unknown, y: unknown, at: string): void => {
        if (out.length >= max) {
            return;
        }
        const objX = x !== null && typeof x === "object";
        const objY = y !== null && typeof y === "object";
        if (objX && objY && Array.isArray(x) === Array.isArray(y)) {
            const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
            for (const k of keys) {
                const seg = Array.isArray(x) ? `[${k}]` : at === "" ? k : `.${k}`;
                walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${at}${seg}`);
            }
            return;
        }
        if (canonicalJson(x) !== canonicalJson(y)) {
            out.push(at === "" ? "(the whole config)" : at);
        }
    };
    walk(a, b, prefix);
    return out;
}

/** Whether the approving process is a CI job: `CI` set to true or 1, as GitHub Actions, GitLab CI, CircleCI, Buildkite and others set it. */
export function approverKind(env: Readonly<Record<string, string | undefined>>): "manual" | "ci" {
    const ci = (env["CI"] ?? "").toLowerCase();
    return ci === "true" || ci === "1" ? "ci" : "manual";
}

/** Who approves: `--by` when given, else the user and host (`alice@build-7`). */
export function approverName(by: string | undefined, env: Readonly<Record<string, string | undefined>>, host: string): string {
    if (by !== undefined && by.trim() !== "") {
        return by.trim();
    }
    const user = env["USER"] ?? env["LOGNAME"] ?? env["USERNAME"] ?? "unknown";
    return `${user}@${host}`;
}

/** What an `approve` or `reject` asks. */
export interface GateDecisionRequest {
    decision: "approve" | "reject";
    /** `--step`: the gated step's weight the decision is meant for; absent: whatever gate is pending. */
    step?: number;
    by: string;
    kind: "manual" | "ci";
    reason?: string;
}

export type GateDecision = { kind: "ok"; record: GateRecord } | { kind: "refuse"; reason: string; hint: string };

/** The record after an approval or rejection, or why it is refused. Pure. */
export function decideGate(record: GateRecord | undefined, req: GateDecisionRequest, now: Date, where: { stack: string; service: string }): GateDecision {
    const wait = `mesh-release status --stack ${where.stack} --service ${where.service}`;
    if (record === undefined) {
        return { kind: "refuse", reason: `no approval gate is pending for ${where.service} on stack ${where.stack}`, hint: `a release waiting at a gate says so; see ${wait}` };
    }
    const step = `step ${record.stepIndex + 1}/${record.steps} (${record.weight}%)`;
    if (record.status !== "pending") {
        const by = record.decidedBy !== undefined ? ` by ${record.decidedBy}` : "";
        return {
            kind: "refuse",
            reason: `the gate before ${step} of ${record.version} is ${record.status}${by}${record.decidedAt !== undefined ? ` at ${record.decidedAt}` : ""}; no approval is pending for ${where.service} on stack ${where.stack}`,
            hint: `nothing to decide; a release waiting at a gate says so (${wait})`,
        };
    }
    if (req.step !== undefined && req.step !== record.weight) {
        return {
            kind: "refuse",
            reason: `--step is ${req.step}, but the pending gate of ${where.service} is before ${step} of ${record.version}`,
            hint: `check the step, then: mesh-release ${req.decision} --stack ${where.stack} --service ${where.service} --step ${record.weight}`,
        };
    }
    const at = now.toISOString();
    if (req.decision === "reject") {
        return { kind: "ok", record: { ...record, status: "rejected", decidedBy: req.by, decidedKind: req.kind, decidedAt: at, ...(req.reason !== undefined ? { reason: req.reason } : {}) } };
    }
    if (req.kind !== record.approval) {
        return {
            kind: "refuse",
            reason:
                record.approval === "manual"
                    ? `the gate before ${step} needs a person's approval (approval: manual), and this process is a CI job (CI=${"true"})`
                    : `the gate before ${step} needs a CI job's approval (approval: ci), and this process is not one (CI is not true)`,
            hint:
                record.approval === "manual"
                    ? "a person approves it from a shell without CI=true; a CI job may still reject it"
                    : "approve it from the CI job that checks the step (GitHub Actions, GitLab CI and others set CI=true); anyone may reject it",
        };
    }
    const expires = Date.parse(record.expiresAt);
    if (record.onTimeout === "rollback" && Number.isFinite(expires) && now.getTime() > expires) {
        return {
            kind: "refuse",
            reason: `the gate before ${step} timed out at ${record.expiresAt} (onTimeout: rollback); the release rolls back`,
            hint: `start the release again to get a new gate: mesh-release canary --stack ${where.stack} --service ${where.service} --version ${record.version}`,
        };
    }
    return { kind: "ok", record: { ...record, status: "approved", decidedBy: req.by, decidedKind: req.kind, decidedAt: at } };
}

/** What a waiting release sees in the record it polls. */
export type GateWait =
    | { kind: "pending"; expired: boolean }
    | { kind: "approved" | "rejected"; record: GateRecord }
    /** The record is gone or belongs to another wait (someone removed or replaced it). */
    | { kind: "lost"; why: string };

/** The state of the wait `id`, from the record read now. Pure. */
export function gateWait(read: { record?: GateRecord; problem?: string }, id: string, now: Date): GateWait {
    const record = read.record;
    if (record === undefined) {
        return { kind: "lost", why: read.problem ?? "the gate record was removed from the stack's tags" };
    }
    if (record.id !== id) {
        return { kind: "lost", why: `the gate record now belongs to another wait (${record.id}, ${record.status}, requested by ${record.requestedBy})` };
    }
    switch (record.status) {
        case "approved":
        case "rejected":
            return { kind: record.status, record };
        case "pending":
            return { kind: "pending", expired: now.getTime() > Date.parse(record.expiresAt) };
        case "timed-out":
        case "applied":
        case "stale":
            return { kind: "lost", why: `the gate record says ${record.status}` };
        default: {
            const never: never = record.status;
            return never;
        }
    }
}

/** The lines a person reads before deciding: the step, the plan, the changes. */
export function describeGate(record: GateRecord): string[] {
    return [
        `stack ${record.stack}, service ${record.service}: ${record.version} before step ${record.stepIndex + 1}/${record.steps} (weight ${record.weight}%)`,
        `  status ${record.status}${record.decidedBy !== undefined ? ` by ${record.decidedBy} (${record.decidedKind ?? "?"}) at ${record.decidedAt ?? "?"}` : ""}; requested by ${record.requestedBy} at ${record.requestedAt}, times out at ${record.expiresAt} (then ${record.onTimeout})`,
        `  plan ${record.plan}; program ${record.program}; approval: ${record.approval}`,
        `  preview: ${record.summary}`,
        ...record.changes.map((c) => `    ${c}`),
    ];
}
