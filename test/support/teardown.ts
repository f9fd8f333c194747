/**
 * The e2e suites' teardown, made to run and succeed after any failure: a stack is destroyed even when a killed
 * `pulumi up` left it locked (the lock is cancelled, then destroy runs again), and whatever destroy could not
 * remove is deleted from the test's namespace through the API server, so that no test's leftovers reach
 * another test that reads the whole cluster (istioctl analyze, istiod's conflicts between gateways).
 */
import type { Stack } from "@pulumi/pulumi/automation";
import type * as k8s from "@kubernetes/client-node";
import { connectCluster } from "./cluster";
import { collectionPath, rawRequest, statusMessage } from "../e2e/stack/kubeRaw";

/** Every namespaced kind a stack of ours or a test creates (routes first: gateway.networking.k8s.io, networking.istio.io). */
const SWEPT: ReadonlyArray<[kind: string, apiVersion: string]> = [
    ["HTTPRoute", "gateway.networking.k8s.io/v1"],
    ["Gateway", "gateway.networking.k8s.io/v1"],
    ["VirtualService", "networking.istio.io/v1"],
    ["Gateway", "networking.istio.io/v1"],
    ["DestinationRule", "networking.istio.io/v1"],
    ["ServiceEntry", "networking.istio.io/v1"],
    ["Sidecar", "networking.istio.io/v1"],
    ["WorkloadEntry", "networking.istio.io/v1"],
    ["Deployment", "apps/v1"],
    ["Service", "v1"],
    ["Pod", "v1"],
];

/**
 * Deletes every object of {@link SWEPT}'s kinds in `namespace` (one DELETE per collection; Services, which
 * have no collection delete, one by one). Resolves with what it could not delete (empty: the namespace is clean).
 */
export async function sweepNamespace(namespace: string, kc: k8s.KubeConfig = connectCluster().kubeConfig): Promise<string[]> {
    const problems: string[] = [];
    for (const [kind, apiVersion] of SWEPT) {
        const url = collectionPath({ apiVersion, kind, metadata: { name: "", namespace } });
        try {
            if (kind === "Service") {
                const list = await rawRequest(kc, "GET", url, undefined);
                const items = (list.body as { items?: Array<{ metadata: { name: string } }> }).items ?? [];
                for (const s of items) {
                    const res = await rawRequest(kc, "DELETE", `${url}/${encodeURIComponent(s.metadata.name)}`, undefined);
                    if (![200, 202, 404].includes(res.status)) problems.push(`Service ${namespace}/${s.metadata.name}: ${res.status} ${statusMessage(res)}`);
                }
                continue;
            }
            const res = await rawRequest(kc, "DELETE", url, undefined);
            if (![200, 202, 404].includes(res.status)) problems.push(`${kind} in ${namespace}: ${res.status} ${statusMessage(res)}`);
        } catch (err) {
            problems.push(`${kind} in ${namespace}: ${(err as Error).message}`);
        }
    }
    return problems;
}

const LOCKED = /currently locked/;

/**
 * `destroy` of a stack; when a killed update left the stack locked, `pulumi cancel` (the lock's owner is gone:
 * the test killed it) and destroy again. Resolves with the error text of a destroy that still failed.
 */
export async function destroyStack(stack: Stack, onOutput?: (line: string) => void): Promise<string | undefined> {
    const destroy = (): Promise<unknown> => stack.destroy(onOutput !== undefined ? { onOutput } : {});
    try {
        await destroy();
        return undefined;
    } catch (err) {
        if (!LOCKED.test(String((err as Error).message))) {
            return (err as Error).message;
        }
    }
    try {
        await stack.cancel();
    } catch {
        // The DIY backend's cancel removes the lock and may still report an error on some versions: destroy tells.
    }
    try {
        await destroy();
        return undefined;
    } catch (err) {
        return (err as Error).message;
    }
}
