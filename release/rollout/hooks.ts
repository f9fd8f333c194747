/** A run's webhooks (webhooks/webhooks.ts): gates decide, notifications only warn when they fail. */
import { currentWeight } from "../core/machine";
import { callWebhook, isGate, type WebhookType } from "../webhooks/webhooks";
import type { Run } from "./types";

/** Runs the webhooks of one type; gates report whether all passed. */
export async function callHooks(run: Run, type: WebhookType, weight?: number, stepIndex?: number): Promise<{ ok: boolean; reason: string }> {
    const state = run.state;
    const failures: string[] = [];
    for (const hook of run.policy.webhooks.filter((h) => h.type === type)) {
        const result = await callWebhook(
            hook,
            {
                type,
                stack: run.deps.driver.stackName,
                service: run.req.service,
                version: run.version,
                phase: state?.phase ?? "Progressing",
                stepIndex: stepIndex ?? state?.stepIndex ?? -1,
                weight: weight ?? (state !== null ? currentWeight(state, run.policy.machine) : 0),
                message: state?.message ?? "",
                at: run.now(),
            },
            // Notifications (post-rollout, rollback) still go out after a signal: they report the rollback it caused.
            { signal: isGate(type) ? run.deps.signal : undefined, backoffMs: 1000, sleep: run.clock.sleep, fetch: run.deps.fetch },
        );
        run.emit({ type: "webhook", hook: hook.name, hookType: type, ok: result.ok, attempts: result.attempts, status: result.status, error: result.error });
        if (!result.ok) {
            failures.push(`${hook.name}: ${result.error ?? "refused"}`);
        }
    }
    if (failures.length > 0 && !isGate(type)) {
        run.emit({ type: "warning", message: `${type} webhook failed (notification only): ${failures.join("; ")}` });
        return { ok: true, reason: "" };
    }
    return { ok: failures.length === 0, reason: failures.join("; ") };
}
