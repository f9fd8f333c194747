/**
 * The alternative the benchmarks compare against: objects written straight to the API server as
 * server-side apply patches with `@kubernetes/client-node` (what Flagger and Argo Rollouts do from their
 * controllers), with a warm client, as a long-running controller has one.
 */
import * as k8s from "@kubernetes/client-node";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";

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

/** Pure: `spec` with every stable/canary split route set to `stable`/`canary` weights. */
export function reweight(spec: unknown, weights: { stable: number; canary: number }): unknown {
    const s = structuredClone(spec) as { http?: { route?: { destination?: { subset?: string }; weight?: number }[] }[] };
    for (const h of s.http ?? []) {
        const subsets = (h.route ?? []).map((r) => r.destination?.subset);
        if (h.route !== undefined && subsets.includes("stable") && subsets.includes("canary")) {
            for (const r of h.route) {
                r.weight = r.destination?.subset === "canary" ? weights.canary : weights.stable;
            }
        }
    }
    return s;
}

/**
 * Pure: the objects a step changed, by name: those of `after` whose spec differs from the same name's in `before`
 * (or that are new). What a kubectl or direct write of "the same change" must write.
 */
export function changedObjects(before: readonly ApplyObject[], after: readonly ApplyObject[]): ApplyObject[] {
    const old = new Map(before.map((o) => [o.metadata.name, JSON.stringify(o["spec"])]));
    return after.filter((o) => old.get(o.metadata.name) !== JSON.stringify(o["spec"]));
}

/**
 * Copies of live objects for the direct and kubectl writes: named `<name>-direct`, labelled as the bench's, their
 * spec as `spec` of the original, so they never touch what Pulumi manages. At canary weight `w`: {@link atWeight}.
 */
export function directCopies(live: readonly ApplyObject[], namespace: string): ApplyObject[] {
    return live.map((o) => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: { name: `${o.metadata.name}-direct`, namespace, labels: { "app.kubernetes.io/part-of": "mesh-bench" } },
        spec: o["spec"],
    }));
}

/** Pure: `copies` with their split routes at canary weight `w` (stable `100 - w`). */
export function atWeight(copies: readonly ApplyObject[], w: number): ApplyObject[] {
    return copies.map((c) => ({ ...c, spec: reweight(c["spec"], { stable: 100 - w, canary: w }) }));
}

/** `kubectl apply --server-side` of `objs` (kubectl on PATH: the tool chain's, bench/run.sh), through `file`; ms. */
export function kubectlApply(objs: readonly ApplyObject[], file: string): number {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, objs.map((o) => stringify(o)).join("---\n"));
    const t0 = performance.now();
    execFileSync("kubectl", ["apply", "--server-side", "--force-conflicts", "--field-manager", "mesh-bench-kubectl", "-f", file], {
        stdio: ["ignore", "ignore", "pipe"],
    });
    return performance.now() - t0;
}
