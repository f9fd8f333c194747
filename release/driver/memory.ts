/**
 * An in-memory {@link TrafficDriver}: a config object and a list of "applied" configs, one per update.
 * For the orchestrator's unit tests and for dry runs; it behaves like the Pulumi driver in what the
 * orchestrator can see (edits, updates, locks, failures, cancellation).
 */
import { createHash } from "node:crypto";
import { applyEdits } from "../core/edits";
import { canonicalJson, changedPaths } from "../core/gate";
import { DriverError, type ConfigEdit, type GateBackend, type PlannedChange, type StackSnapshot, type TrafficDriver, type UpdateOptions, type UpdateResult } from "./driver";

/** Shared by several drivers of the same "stack", like a backend: config, history and the lock. */
export class MemoryStack {
    config: Record<string, unknown>;
    /** The config of every successful update, oldest first (the stack history). */
    readonly history: Record<string, unknown>[] = [];
    /** Every update attempted, with its message and whether it succeeded (and the plan it was held to). */
    readonly updates: { message: string; ok: boolean; final?: boolean; plan?: string }[] = [];
    /** The stack's tags on the "backend" (approval gate records: release/core/gate.ts). */
    readonly tags = new Map<string, string>();
    /** Stands for the program's source: change it to change the program's digest. */
    program = "program v1";
    /** Saved plans by file: the config and program each preview saw (an update with a plan must see the same). */
    readonly plans = new Map<string, { config: Record<string, unknown>; program: string }>();
    /** Previews run, by name. */
    readonly previews: string[] = [];
    lockHolder: string | undefined;
    /** Values to treat as secrets (as Pulumi secrets would be). */
    secrets: string[] = [];
    /**
     * Decides each update: return an error kind to fail it, or undefined to succeed. Default: succeed.
     * `n` counts update attempts from 0.
     */
    failUpdate: (n: number, config: Record<string, unknown>) => DriverError["kind"] | undefined = () => undefined;
    /** Duration of each update, ms (real time; keep it 0 in unit tests unless testing cancellation). */
    updateMs = 0;

    constructor(config: Record<string, unknown> = {}) {
        this.config = config;
    }

    /** The config of the last successful update: what the mesh runs. */
    get applied(): Record<string, unknown> | undefined {
        return this.history[this.history.length - 1];
    }
}

export class MemoryDriver implements TrafficDriver {
    readonly stackName: string;
    readonly store: MemoryStack;
    cancelCalls = 0;

    constructor(stackName: string, store: MemoryStack) {
        this.stackName = stackName;
        this.store = store;
    }

    read(): Promise<StackSnapshot> {
        return Promise.resolve({ config: structuredClone(this.store.config), secrets: [...this.store.secrets] });
    }

    write(edits: readonly ConfigEdit[]): Promise<void> {
        this.store.config = applyEdits(this.store.config, edits);
        return Promise.resolve();
    }

    readonly gates: GateBackend = {
        preview: (opts) => {
            const store = this.store;
            store.previews.push(opts.name);
            const planFile = `memory://plans/${opts.name}/${store.previews.length}`;
            store.plans.set(planFile, { config: structuredClone(store.config), program: store.program });
            const diffs = changedPaths(store.applied ?? {}, store.config, 20);
            const changes: PlannedChange[] = diffs.length > 0 ? [{ op: "update", kind: "StackConfig", name: this.stackName, diffs }] : [];
            return Promise.resolve({ planFile, planDigest: sha256(canonicalJson(store.plans.get(planFile))), changes, summary: `${changes.length} update` });
        },
        programDigest: () => Promise.resolve(sha256(this.store.program)),
        readRecord: (service) => Promise.resolve(this.store.tags.get(`gate:${service}`)),
        writeRecord: (service, text) => {
            if (text === undefined) {
                this.store.tags.delete(`gate:${service}`);
            } else {
                this.store.tags.set(`gate:${service}`, text);
            }
            return Promise.resolve();
        },
    };

    async update(opts: UpdateOptions): Promise<UpdateResult> {
        const n = this.store.updates.length;
        const started = Date.now();
        if (this.store.updateMs > 0) {
            await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, this.store.updateMs);
                opts.signal?.addEventListener("abort", () => {
                    clearTimeout(timer);
                    resolve();
                });
            });
        }
        if (opts.signal?.aborted === true) {
            this.store.updates.push({ message: opts.message, ok: false });
            throw new DriverError("cancelled", `the update of stack ${this.stackName} was cancelled`);
        }
        if (opts.plan !== undefined) {
            // `pulumi up --plan`: the engine refuses an update that does more than the plan, before changing a resource
            const plan = this.store.plans.get(opts.plan);
            const drift = plan === undefined ? ["(no such plan)"] : [...changedPaths(plan.config, this.store.config), ...(plan.program !== this.store.program ? ["(program)"] : [])];
            if (drift.length > 0) {
                this.store.updates.push({ message: opts.message, ok: false, plan: opts.plan });
                throw new DriverError("failed", `resource violates plan: ${drift.join(", ")}`);
            }
        }
        const failure = this.store.failUpdate(n, this.store.config);
        this.store.updates.push({ message: opts.message, ok: failure === undefined, ...(opts.final === true ? { final: true } : {}), ...(opts.plan !== undefined ? { plan: opts.plan } : {}) });
        if (failure !== undefined) {
            throw new DriverError(failure, `simulated ${failure} update of stack ${this.stackName}`);
        }
        this.store.history.push(structuredClone(this.store.config));
        return { durationMs: Date.now() - started, summary: "in memory" };
    }

    cancel(): Promise<void> {
        this.cancelCalls++;
        return Promise.resolve();
    }

    lock(holder: string): Promise<() => Promise<void>> {
        if (this.store.lockHolder !== undefined) {
            return Promise.reject(new DriverError("concurrent", `another release holds stack ${this.stackName}: ${this.store.lockHolder}`));
        }
        this.store.lockHolder = holder;
        return Promise.resolve(() => {
            this.store.lockHolder = undefined;
            return Promise.resolve();
        });
    }
}

function sha256(text: string): string {
    return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}
