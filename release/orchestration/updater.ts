/**
 * One traffic change = config edits written, then one `up`, retried with exponential backoff. Shared by
 * the canary loop (rollout.ts) and the one-shot commands (oneShot.ts). The edits are validated first:
 * nothing invalid is ever written.
 *
 * - A concurrent update (Pulumi's stack lock, `ConcurrentUpdateError`) fails fast: thrown as a
 *   `CONCURRENT_UPDATE` ReleaseError, never retried.
 * - A cancelled update (the signal fired) returns `cancelled`; after `cancelGraceMs` without the update
 *   stopping, the driver is asked to cancel it on the backend.
 * - Any other failure is retried `retries` times, waiting `backoffMs`, then twice that, ...
 */
import { isAborted, type Clock } from "../core/clock";
import { DriverError, type ConfigEdit, type TrafficDriver } from "../driver/driver";
import { ExitCode, ReleaseError, errorMessage } from "../core/errors";
import type { ReleaseEvent, UpdatePurpose } from "../core/events";

/** Omit over each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event without the fields the emitter fills in (time, stack, service). */
export type PartialEvent = DistributiveOmit<ReleaseEvent, "at" | "stack" | "service">;

export interface UpdaterDeps {
    driver: TrafficDriver;
    clock: Clock;
    emit: (event: PartialEvent) => void;
    /** Throws a CONFIG_INVALID ReleaseError when the edits would make the config invalid. */
    validate: (edits: readonly ConfigEdit[]) => void;
    /** Attempts after the first. */
    retries: number;
    /** Wait before the first retry, ms; doubles each retry. */
    backoffMs: number;
    signal?: AbortSignal;
    /** Wait after a signal before asking the backend to cancel the update, ms. Default 10000. */
    cancelGraceMs?: number;
}

export type UpdateOutcome = { kind: "ok" } | { kind: "failed"; message: string } | { kind: "cancelled" };

/** Validates and writes `edits`, then runs one update with retries. */
export async function writeAndUpdate(
    deps: UpdaterDeps,
    change: {
        purpose: UpdatePurpose;
        weight: number;
        edits: readonly ConfigEdit[];
        message: string;
        cancellable: boolean;
        /** The last update of the run (driver UpdateOptions.final). */
        final?: boolean;
        /** Wait before the caller's next update, ms (driver UpdateOptions.holdMs). */
        holdMs?: number;
        /** The approved update plan (driver UpdateOptions.plan). */
        plan?: string;
    },
): Promise<UpdateOutcome> {
    deps.validate(change.edits);
    await deps.driver.write(change.edits);
    const { purpose, weight } = change;
    const signal = change.cancellable ? deps.signal : undefined;
    const attempts = deps.retries + 1;
    let lastError = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
        if (isAborted(signal)) {
            return { kind: "cancelled" };
        }
        deps.emit({ type: "update-started", purpose, weight, attempt });
        const started = deps.clock.now().getTime();
        const stopGrace = cancelOnAbort(deps, signal);
        try {
            await deps.driver.update({ message: change.message, signal, final: change.final, holdMs: change.holdMs, ...(change.plan !== undefined ? { plan: change.plan } : {}) });
            deps.emit({ type: "update-finished", purpose, weight, attempt, ok: true, durationMs: deps.clock.now().getTime() - started });
            return { kind: "ok" };
        } catch (err) {
            lastError = errorMessage(err);
            const kind = err instanceof DriverError ? err.kind : "failed";
            const retryInMs = attempt < attempts && kind !== "cancelled" && kind !== "concurrent" ? deps.backoffMs * 2 ** (attempt - 1) : undefined;
            deps.emit({ type: "update-finished", purpose, weight, attempt, ok: false, durationMs: deps.clock.now().getTime() - started, error: lastError, retryInMs });
            switch (kind) {
                case "cancelled":
                    return { kind: "cancelled" };
                case "concurrent":
                    throw new ReleaseError({
                        code: "CONCURRENT_UPDATE",
                        message: lastError,
                        hint: "Pulumi's stack lock is held (the message names its owner and the command that clears it when that update is gone); then run the same command again (it resumes)",
                        exitCode: ExitCode.Infrastructure,
                    });
                case "not-found":
                case "unavailable":
                case "failed":
                    if (retryInMs !== undefined) {
                        await deps.clock.sleep(retryInMs, signal);
                    }
                    break;
                default: {
                    const never: never = kind;
                    return never;
                }
            }
        } finally {
            stopGrace();
        }
    }
    return { kind: "failed", message: lastError };
}

/** After a signal, gives the update `cancelGraceMs` to stop, then asks the backend to cancel it. */
function cancelOnAbort(deps: UpdaterDeps, signal: AbortSignal | undefined): () => void {
    if (signal === undefined) {
        return () => undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
        timer = setTimeout(() => void deps.driver.cancel().catch(() => undefined), deps.cancelGraceMs ?? 10_000);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    return () => {
        signal.removeEventListener("abort", onAbort);
        if (timer !== undefined) {
            clearTimeout(timer);
        }
    };
}
