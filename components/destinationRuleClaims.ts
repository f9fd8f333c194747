/**
 * Exactly one DestinationRule per host and namespace: Istio does not merge two reliably. Every component
 * that emits a DestinationRule claims its host here first; a second claimant fails validation with an
 * error that names both.
 */
import type { Problem } from "./validation";

/** Fully-qualified form of a service host as seen from `namespace` ("sample-app" -> "sample-app.ns.svc.cluster.local"). */
export function qualifyHost(host: string, namespace: string): string {
    if (!host.includes(".")) return `${host}.${namespace}.svc.cluster.local`;
    const parts = host.split(".");
    if (parts.length === 2) return `${host}.svc.cluster.local`;
    if (parts.length === 3 && parts[2] === "svc") return `${host}.cluster.local`;
    return host;
}

/** A registry of DestinationRule claims for one program run (one stack). */
export class DestinationRuleClaims {
    /** The registry components use when their args name none: one per process, i.e. per program run. */
    public static readonly global = new DestinationRuleClaims();

    private readonly owners = new Map<string, string>();

    /**
     * Claims the DestinationRule of `host` in `namespace` for `claimant` (e.g. `Canary "sample-app"`).
     * Returns a problem (at `propertyPath`) naming both claimants when someone else holds it; claiming
     * twice for the same claimant is allowed.
     */
    public claim(host: string, namespace: string, claimant: string, propertyPath: string): Problem[] {
        const key = `${namespace}/${qualifyHost(host, namespace)}`;
        const owner = this.owners.get(key);
        if (owner !== undefined && owner !== claimant) {
            return [
                {
                    propertyPath,
                    reason: `${propertyPath} is ${JSON.stringify(host)}, whose DestinationRule in namespace ${JSON.stringify(namespace)} is already claimed by ${owner}; ${claimant} cannot emit a second one (Istio does not merge them reliably): pass the circuit breaker as the Canary's trafficPolicy instead`,
                },
            ];
        }
        this.owners.set(key, claimant);
        return [];
    }

    /** Who holds the DestinationRule of `host` in `namespace`, if anyone. */
    public owner(host: string, namespace: string): string | undefined {
        return this.owners.get(`${namespace}/${qualifyHost(host, namespace)}`);
    }

    /** A copy holding the same claims: what a check that must claim nothing runs on. */
    public fork(): DestinationRuleClaims {
        const copy = new DestinationRuleClaims();
        for (const [k, v] of this.owners) copy.owners.set(k, v);
        return copy;
    }

    /** Forgets every claim (a new program run in the same process, e.g. tests). */
    public clear(): void {
        this.owners.clear();
    }
}
