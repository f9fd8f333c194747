/**
 * A service stack's driver that reads its release policy through its platform stack: the effective
 * `release` config is the platform stack's `release` overlaid by the service stack's own
 * (release/core/policy.ts `overlayRelease`), and the service's namespace is the platform stack's (a service
 * stack has none of its own: docs/config-contract.md). Everything else (writes, updates, the lock) is the service stack's
 * alone; the platform stack is only read.
 */
import { overlayRelease } from "../core/policy";
import type { StackSnapshot, TrafficDriver } from "./driver";

export function withPlatformRelease(service: TrafficDriver, platform: Pick<TrafficDriver, "read" | "stackName">): TrafficDriver {
    return {
        stackName: service.stackName,
        read: async (): Promise<StackSnapshot> => {
            const [own, base] = await Promise.all([service.read(), platform.read()]);
            const release = overlayRelease(base.config["release"], own.config["release"]);
            const config = { ...own.config };
            if (release !== undefined) {
                config["release"] = release;
            }
            const namespace = base.config["namespace"];
            return { config, secrets: [...own.secrets, ...base.secrets], ...(typeof namespace === "string" ? { inherited: { namespace } } : {}) };
        },
        write: (edits) => service.write(edits),
        update: (opts) => service.update(opts),
        cancel: () => service.cancel(),
        lock: (holder) => service.lock(holder),
        ...(service.gates !== undefined ? { gates: service.gates } : {}),
    };
}
