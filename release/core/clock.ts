/**
 * Time and cancellation for the I/O edges: a {@link Clock} the orchestrator is given (tests pass a fake
 * one), an abortable sleep, and a helper that reads `signal.aborted` afresh (TypeScript narrows a property
 * checked once to `false` for the rest of a function, which hides a signal that fired during an await).
 */

export interface Clock {
    now(): Date;
    /** Resolves after `ms` or when `signal` aborts. */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** True when `signal` has fired. A function call, so each check reads the current value. */
export function isAborted(signal: AbortSignal | undefined): boolean {
    return signal?.aborted === true;
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        if (isAborted(signal)) {
            resolve();
            return;
        }
        const timer = setTimeout(done, ms);
        function done(): void {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
        }
        signal?.addEventListener("abort", done);
    });
}

export const systemClock: Clock = { now: () => new Date(), sleep: defaultSleep };

/**
 * A signal of its own that follows `outer` (aborted when it is), for a callee that leaks its abort
 * listeners: they attach to this signal, which is dropped after `dispose()`, and never pile up on `outer`.
 */
export function linkedSignal(outer: AbortSignal | undefined): { signal: AbortSignal | undefined; dispose: () => void } {
    if (outer === undefined) {
        return { signal: undefined, dispose: () => undefined };
    }
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(outer.reason);
    if (outer.aborted) {
        controller.abort(outer.reason);
    } else {
        outer.addEventListener("abort", onAbort, { once: true });
    }
    return { signal: controller.signal, dispose: () => outer.removeEventListener("abort", onAbort) };
}
