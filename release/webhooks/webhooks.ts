/**
 * Webhooks: an HTTP POST with a JSON body, a per-attempt timeout and retries with backoff. A 2xx answer
 * passes. Network errors, timeouts, 5xx, 408 and 429 are retried; any other 4xx is a deliberate "no" and
 * is not. Gates (pre-rollout, pre-step, confirm-promotion) that do not pass halt the rollout (it rolls
 * back); notifications (post-rollout, rollback) only warn.
 *
 * A webhook URL may carry a token (in its query or user info): results name the hook, never the URL, and
 * errors are redacted.
 */
import { defaultSleep, isAborted } from "../core/clock";
import { Redactor } from "../../contract/redact";
import { errorMessage } from "../core/errors";

export type WebhookType = "pre-rollout" | "pre-step" | "confirm-promotion" | "post-rollout" | "rollback";

export interface WebhookSpec {
    name: string;
    type: WebhookType;
    url: string;
    /** Per-attempt timeout, ms. */
    timeoutMs: number;
    /** Attempts after the first. */
    retries: number;
}

/** The JSON body of every call. */
export interface WebhookPayload {
    type: WebhookType;
    stack: string;
    service: string;
    version: string;
    phase: string;
    /** 0-based index of the current step; -1 before the first. */
    stepIndex: number;
    /** Canary weight at the time of the call, percent. */
    weight: number;
    message: string;
    at: string;
}

export interface WebhookResult {
    ok: boolean;
    attempts: number;
    status?: number;
    error?: string;
}

export interface WebhookCallOptions {
    signal?: AbortSignal;
    /** Wait before the first retry, ms; doubles each retry. Default 1000. */
    backoffMs?: number;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    fetch?: typeof fetch;
}

export function isGate(type: WebhookType): boolean {
    switch (type) {
        case "pre-rollout":
        case "pre-step":
        case "confirm-promotion":
            return true;
        case "post-rollout":
        case "rollback":
            return false;
        default: {
            const never: never = type;
            return never;
        }
    }
}

/** True for answers worth another attempt. */
export function retryableStatus(status: number): boolean {
    return status >= 500 || status === 408 || status === 429;
}

export async function callWebhook(spec: WebhookSpec, payload: WebhookPayload, opts: WebhookCallOptions = {}): Promise<WebhookResult> {
    const fetchFn = opts.fetch ?? fetch;
    const sleep = opts.sleep ?? defaultSleep;
    const redactor = new Redactor();
    try {
        const u = new URL(spec.url);
        redactor.add(u.password, u.username, u.search.slice(1), ...[...u.searchParams.values()]);
    } catch {
        // z.url() validated it; nothing to redact
    }
    let last: WebhookResult = { ok: false, attempts: 0 };
    for (let attempt = 1; attempt <= spec.retries + 1; attempt++) {
        if (attempt > 1) {
            await sleep((opts.backoffMs ?? 1000) * 2 ** (attempt - 2), opts.signal);
        }
        if (isAborted(opts.signal)) {
            return { ...last, attempts: attempt - 1, ok: false, error: "cancelled" };
        }
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), spec.timeoutMs);
        const onAbort = (): void => controller.abort();
        opts.signal?.addEventListener("abort", onAbort);
        try {
            const res = await fetchFn(spec.url, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(payload),
                signal: controller.signal,
            });
            await res.text().catch(() => "");
            if (res.ok) {
                return { ok: true, attempts: attempt, status: res.status };
            }
            last = { ok: false, attempts: attempt, status: res.status, error: `HTTP ${res.status}` };
            if (!retryableStatus(res.status)) {
                return last;
            }
        } catch (err) {
            const why = controller.signal.aborted ? (isAborted(opts.signal) ? "cancelled" : `timed out after ${spec.timeoutMs} ms`) : errorMessage(err);
            last = { ok: false, attempts: attempt, error: redactor.redact(why) };
            if (isAborted(opts.signal)) {
                return last;
            }
        } finally {
            clearTimeout(timer);
            opts.signal?.removeEventListener("abort", onAbort);
        }
    }
    return last;
}
