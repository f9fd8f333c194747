/**
 * An in-memory {@link TrafficDriver}: a config object and a list of "applied" configs, one per update.
 * For the orchestrator's unit tests and for dry runs; it behaves like the Pulumi driver in what the
 * orchestrator can see (edits, updates, locks, failures, cancellation).
 */
import { applyEdits } from "../edits";
import { DriverError, type ConfigEdit, type StackSnapshot, type TrafficDriver, type UpdateOptions, type UpdateResult } from "./driver";

/** Shared by several drivers of the same "stack", like a backend: config, history and the lock. */
export class MemoryStack {
    config: Record<string, unknown>;
    /** The config of every successful update, oldest first (the stack history). */
    readonly history: Record<string, unknown>[] = [];
    /** Every update attempted, with its message and whether it succeeded. */
    readonly updates: { message: string; ok: boolean; final?: boolean }[] = [];
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
        const failure = this.store.failUpdate(n, this.store.config);
        this.store.updates.push({ message: opts.message, ok: failure === undefined, ...(opts.final === true ? { final: true } : {}) });
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
