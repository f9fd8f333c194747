/**
 * The traffic driver interface: how the rollout reads and writes the stack's config and applies it.
 * The Pulumi stack (pulumiStack.ts) is one implementation; memory.ts is an in-memory one for tests and
 * dry runs. The orchestrator never imports Pulumi.
 */

/**
 * A config path below the project namespace: `["services", "sample-app", "canary", "weight"]`.
 * Numbers are list indexes (`abRules[0]`), strings map keys.
 */
export type ConfigPath = readonly (string | number)[];

/**
 * One change of the stack config. Values are written with Pulumi's `--path` typing: integers and
 * `true`/`false` become numbers and booleans, everything else a string (callers make sure a string value
 * cannot be mistaken for a number, see edits.ts `typedByPulumi`).
 */
export type ConfigEdit = { path: ConfigPath; value: string | number | boolean } | { path: ConfigPath; remove: true };

export interface StackSnapshot {
    /** The project's config as an object, namespace stripped: `{ services: {...}, release: {...}, rollouts: {...} }`. */
    config: Record<string, unknown>;
    /** Plain values of config secrets, for redaction. Never printed. */
    secrets: string[];
    /** What a service stack takes from its platform stack (release/driver/platform.ts); absent otherwise. */
    inherited?: { namespace?: string };
}

export interface UpdateResult {
    durationMs: number;
    /** e.g. "2 updated, 1 unchanged". */
    summary: string;
}

/** Failure of a driver operation, classified so the orchestrator can decide (retry, fail fast, roll back). */
export class DriverError extends Error {
    readonly kind: "concurrent" | "failed" | "cancelled" | "not-found" | "unavailable";
    constructor(kind: DriverError["kind"], message: string) {
        super(message);
        this.name = "DriverError";
        this.kind = kind;
    }
}

/** One update's options. */
export interface UpdateOptions {
    /** The update's message (stack history). */
    message: string;
    /** Aborting it cancels the update. */
    signal?: AbortSignal;
    /** This update ends the release run: the backend lease (lease.ts) is written released. Default false. */
    final?: boolean;
    /** How long the caller may wait before its next update, ms (the lease's TTL is at least 3x this). */
    holdMs?: number;
    /** An update plan saved by {@link GateBackend.preview}: the update may do nothing the plan does not (`pulumi up --plan`). */
    plan?: string;
}

/** One resource change of a preview, summarised: `update VirtualService sample-app: spec.http[0].route[1].weight 10 -> 50`. */
export interface PlannedChange {
    /** Pulumi's step op: create, update, replace, delete, ... */
    op: string;
    /** The resource type's last part (`VirtualService`) and name. */
    kind: string;
    name: string;
    /** Changed input paths, each with its old and new value where they are plain and short. */
    diffs: string[];
}

/** What an approval gate needs of a stack beyond the driver: a preview that saves a plan, the program's digest, the record on the backend. */
export interface GateBackend {
    /**
     * Previews an update of the current config and saves its plan (`pulumi preview --save-plan <file>`); the plan's
     * sha256 is what an approval approves. `name` tells plan files of different gates apart.
     */
    preview(opts: { message: string; name: string; holdMs?: number; signal?: AbortSignal }): Promise<{ planFile: string; planDigest: string; changes: PlannedChange[]; summary: string }>;
    /** sha256 of the program an update runs (its source files), to refuse a plan whose program changed since. */
    programDigest(): Promise<string>;
    /** The gate record of `service` on the state backend (a stack tag), or undefined. */
    readRecord(service: string): Promise<string | undefined>;
    /** Writes (or, with undefined, removes) the gate record of `service` on the state backend. */
    writeRecord(service: string, text: string | undefined): Promise<void>;
}

export interface TrafficDriver {
    /** The stack name, for messages. */
    readonly stackName: string;
    /** Reads the whole stack config. */
    read(): Promise<StackSnapshot>;
    /** Writes config edits without an update (the next update records them in the stack history). */
    write(edits: readonly ConfigEdit[]): Promise<void>;
    /**
     * Runs one update of the stack with its current config. Rejects with a {@link DriverError}:
     * `concurrent` when another update holds the stack, `cancelled` after `signal` aborted it, `failed` otherwise.
     */
    update(opts: UpdateOptions): Promise<UpdateResult>;
    /** Best-effort cancel of a running update on the backend (after a signal did not stop it). */
    cancel(): Promise<void>;
    /**
     * Takes the release lock of the stack (one release per stack at a time), or rejects with a
     * `concurrent` {@link DriverError} naming the holder. Resolves with the function that releases it.
     */
    lock(holder: string): Promise<() => Promise<void>>;
    /** Approval gates (release/core/gate.ts); absent: a policy with gates is refused before anything is written. */
    readonly gates?: GateBackend;
}
