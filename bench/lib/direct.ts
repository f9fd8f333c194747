/**
 * The alternative the benchmarks compare against: objects written straight to the API server as
 * server-side apply patches with `@kubernetes/client-node` (what Flagger and Argo Rollouts do from their
 * controllers), with a warm client, as a long-running controller has one.
 */
import * as k8s from "@kubernetes/client-node";

/** A Kubernetes object as applied: apiVersion, kind, metadata.name/namespace, and the rest. */
export interface ApplyObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    [key: string]: unknown;
}

/** Field manager of the direct writes (never Pulumi's, so the two never fight over a field). */
export const DIRECT_FIELD_MANAGER = "mesh-bench-direct";

export class DirectApplier {
    private readonly api: k8s.KubernetesObjectApi;

    /** `kubeconfigPath` defaults to `$KUBECONFIG` (scripts/local-cluster.sh writes it). */
    constructor(kubeconfigPath: string | undefined = process.env["KUBECONFIG"]) {
        if (kubeconfigPath === undefined || kubeconfigPath === "") {
            throw new Error("KUBECONFIG is not set: run the benchmark through bench/run.sh, which starts the local control plane");
        }
        const kc = new k8s.KubeConfig();
        kc.loadFromFile(kubeconfigPath);
        this.api = k8s.KubernetesObjectApi.makeApiClient(kc);
    }

    /** One server-side apply patch (force: the bench's field manager takes its fields). */
    async apply(obj: ApplyObject): Promise<void> {
        await this.api.patch(obj as k8s.KubernetesObject, undefined, undefined, DIRECT_FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
    }

    /** Applies `objs` with at most `concurrency` requests in flight, in order within each lane. */
    async applyAll(objs: readonly ApplyObject[], concurrency = 10): Promise<void> {
        let next = 0;
        const lane = async (): Promise<void> => {
            for (let i = next++; i < objs.length; i = next++) {
                await this.apply(objs[i] as ApplyObject);
            }
        };
        await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, objs.length)) }, lane));
    }

    /** Reads one object back (apiVersion, kind, name and namespace of `ref` pick it). */
    async read(ref: ApplyObject): Promise<ApplyObject> {
        return (await this.api.read({
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.metadata.name, namespace: ref.metadata.namespace ?? "default" },
        })) as unknown as ApplyObject;
    }

    /** Every object of a kind in a namespace. */
    async list(apiVersion: string, kind: string, namespace: string): Promise<ApplyObject[]> {
        const res = await this.api.list(apiVersion, kind, namespace);
        return res.items as unknown as ApplyObject[];
    }

    /** Deletes one object; a missing one is fine. */
    async remove(ref: ApplyObject): Promise<void> {
        try {
            await this.api.delete(ref as k8s.KubernetesObject);
        } catch (err) {
            if (!(err instanceof k8s.ApiException && err.code === 404)) {
                throw err;
            }
        }
    }
}

/** Pure: the catch-all weights `{ stable, canary }` of a VirtualService's last HTTP route, or undefined. */
export function catchAllWeights(vs: unknown): { stable: number; canary: number } | undefined {
    const http = (vs as { spec?: { http?: { route?: { destination?: { subset?: string }; weight?: number }[] }[] } } | undefined)?.spec?.http;
    const last = http?.[http.length - 1];
    if (last?.route === undefined) {
        return undefined;
    }
    // A lone destination carries no weight: Istio gives it 100.
    const lone = last.route.length === 1;
    const w = (subset: string): number => {
        const d = last.route?.find((r) => r.destination?.subset === subset);
        return d === undefined ? 0 : (d.weight ?? (lone ? 100 : 0));
    };
    return { stable: w("stable"), canary: w("canary") };
}
