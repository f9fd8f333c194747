/**
 * The local control plane as the e2e tests see it: a {@link KubeConfig} from `$KUBECONFIG` (written by
 * scripts/local-cluster.sh, which scripts/e2e.sh starts), and small readers for the Istio objects and the core
 * objects our stacks create, built on `@kubernetes/client-node` (CustomObjectsApi, CoreV1Api, AppsV1Api).
 *
 *   const cluster = connectCluster();
 *   const vs = await cluster.getIstio("VirtualService", "mesh-e2e-1a2b", "sample-app");
 *   const all = await cluster.listOurs("mesh-e2e-1a2b");   // every kind we create, by kind
 *
 * `@kubernetes/client-node` 1.x is an ES module; Node >= 20.19 loads it with require(), so this CommonJS
 * module imports it normally.
 */
import * as k8s from "@kubernetes/client-node";

/** The Istio networking kinds our components create, served as networking.istio.io/v1. */
export const ISTIO_KINDS = ["VirtualService", "DestinationRule", "Gateway", "ServiceEntry"] as const;
export type IstioKind = (typeof ISTIO_KINDS)[number];

/** The core kinds our stacks create (Workloads: a Deployment per version and a Service). */
export const CORE_KINDS = ["Service", "Deployment"] as const;
export type CoreKind = (typeof CORE_KINDS)[number];

export type OurKind = IstioKind | CoreKind;

const ISTIO_GROUP = "networking.istio.io";
const ISTIO_VERSION = "v1";

const PLURAL: Record<IstioKind, string> = {
    VirtualService: "virtualservices",
    DestinationRule: "destinationrules",
    Gateway: "gateways",
    ServiceEntry: "serviceentries",
};

/** The part of any Kubernetes object the tests look at. */
export interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata: {
        name: string;
        namespace?: string;
        uid?: string;
        resourceVersion?: string;
        generation?: number;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        managedFields?: unknown[];
    };
    spec?: Record<string, unknown>;
}

/** Where the API server is and how the tests reach it. */
export interface Cluster {
    readonly kubeConfig: k8s.KubeConfig;
    /** The API server URL from the kubeconfig. */
    readonly server: string;
    /** One Istio object, or undefined when it does not exist (404). */
    getIstio(kind: IstioKind, namespace: string, name: string): Promise<KubeObject | undefined>;
    /** Every object of an Istio kind in a namespace, sorted by name. */
    listIstio(kind: IstioKind, namespace: string): Promise<KubeObject[]>;
    /** Every object of a core kind in a namespace, sorted by name. */
    listCore(kind: CoreKind, namespace: string): Promise<KubeObject[]>;
    /** Every object of every kind we create, in a namespace (kind -> objects sorted by name). */
    listOurs(namespace: string): Promise<Record<OurKind, KubeObject[]>>;
    /** Whether the namespace exists (a Namespace object, any phase). */
    namespaceExists(namespace: string): Promise<boolean>;
    /**
     * Server-side dry-run create of `obj` with `fieldValidation=Strict`: resolves when the API server would accept
     * it, rejects with the server's message (e.g. `unknown field "spec.http[0].foo"`) when not. Nothing is stored.
     */
    dryRunCreateStrict(obj: KubeObject): Promise<void>;
    /**
     * A JSON patch (RFC 6902) of one Istio object, as a person would apply it with `kubectl patch --type json`
     * (field manager `kubectl-patch`); resolves to the object as the API server stored it.
     */
    patchIstio(kind: IstioKind, namespace: string, name: string, ops: JsonPatchOp[]): Promise<KubeObject>;
}

/** One operation of a JSON patch (RFC 6902). */
export interface JsonPatchOp {
    op: "add" | "remove" | "replace" | "test";
    path: string;
    value?: unknown;
}

/** The status code of an ApiException-like error, or undefined. */
export function statusOf(err: unknown): number | undefined {
    if (err instanceof k8s.ApiException) {
        return err.code;
    }
    const code = (err as { code?: unknown } | null)?.code;
    return typeof code === "number" ? code : undefined;
}

/** The API server's message from an ApiException body (a metav1.Status), else the error's own message. */
export function messageOf(err: unknown): string {
    if (err instanceof k8s.ApiException) {
        const body: unknown = err.body;
        if (typeof body === "string") {
            try {
                const status = JSON.parse(body) as { message?: unknown };
                if (typeof status.message === "string") {
                    return status.message;
                }
            } catch {
                return body;
            }
            return body;
        }
        const msg = (body as { message?: unknown } | null)?.message;
        if (typeof msg === "string") {
            return msg;
        }
    }
    return err instanceof Error ? err.message : String(err);
}

const byName = (a: KubeObject, b: KubeObject): number => a.metadata.name.localeCompare(b.metadata.name);

/** Map a list response's items to {@link KubeObject}s sorted by name. */
function items(list: unknown): KubeObject[] {
    const arr = (list as { items?: unknown } | null)?.items;
    return Array.isArray(arr) ? (arr as KubeObject[]).slice().sort(byName) : [];
}

/**
 * Connect to the cluster named by `$KUBECONFIG` (scripts/e2e.sh sets it). Throws, saying how to start the
 * control plane, when it is not set.
 */
export function connectCluster(kubeconfigPath: string | undefined = process.env["KUBECONFIG"]): Cluster {
    if (kubeconfigPath === undefined || kubeconfigPath === "") {
        throw new Error(
            "KUBECONFIG is not set: the e2e tests need the local control plane. Run them with `npm run test:e2e` " +
                "(scripts/e2e.sh starts it), or `eval \"$(bash scripts/local-cluster.sh start)\"` first.",
        );
    }
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const server = kc.getCurrentCluster()?.server ?? "";
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);

    const getIstio = async (kind: IstioKind, namespace: string, name: string): Promise<KubeObject | undefined> => {
        try {
            return (await custom.getNamespacedCustomObject({
                group: ISTIO_GROUP,
                version: ISTIO_VERSION,
                namespace,
                plural: PLURAL[kind],
                name,
            })) as KubeObject;
        } catch (err) {
            if (statusOf(err) === 404) {
                return undefined;
            }
            throw err;
        }
    };

    const listIstio = async (kind: IstioKind, namespace: string): Promise<KubeObject[]> =>
        items(
            await custom.listNamespacedCustomObject({ group: ISTIO_GROUP, version: ISTIO_VERSION, namespace, plural: PLURAL[kind] }),
        );

    const listCore = async (kind: CoreKind, namespace: string): Promise<KubeObject[]> => {
        switch (kind) {
            case "Service":
                return items(await core.listNamespacedService({ namespace }));
            case "Deployment":
                return items(await apps.listNamespacedDeployment({ namespace }));
            default: {
                const never: never = kind;
                throw new Error(`unknown kind ${String(never)}`);
            }
        }
    };

    const listOurs = async (namespace: string): Promise<Record<OurKind, KubeObject[]>> => {
        const [vs, dr, gw, se, svc, dep] = await Promise.all([
            listIstio("VirtualService", namespace),
            listIstio("DestinationRule", namespace),
            listIstio("Gateway", namespace),
            listIstio("ServiceEntry", namespace),
            listCore("Service", namespace),
            listCore("Deployment", namespace),
        ]);
        return { VirtualService: vs, DestinationRule: dr, Gateway: gw, ServiceEntry: se, Service: svc, Deployment: dep };
    };

    const namespaceExists = async (namespace: string): Promise<boolean> => {
        try {
            await core.readNamespace({ name: namespace });
            return true;
        } catch (err) {
            if (statusOf(err) === 404) {
                return false;
            }
            throw err;
        }
    };

    const dryRunCreateStrict = async (obj: KubeObject): Promise<void> => {
        const [group, version] = splitApiVersion(obj.apiVersion ?? "");
        const kind = obj.kind ?? "";
        const namespace = obj.metadata.namespace ?? "default";
        const body = { ...obj, metadata: { ...obj.metadata, name: obj.metadata.name } };
        const opts = { dryRun: "All", fieldValidation: "Strict" } as const;
        if (group === ISTIO_GROUP) {
            const plural = PLURAL[kind as IstioKind];
            if (plural === undefined) {
                throw new Error(`dryRunCreateStrict: ${kind} is not one of ${ISTIO_KINDS.join(", ")}`);
            }
            await custom.createNamespacedCustomObject({ group, version, namespace, plural, body, ...opts });
            return;
        }
        switch (kind as CoreKind) {
            case "Service":
                await core.createNamespacedService({ namespace, body: body as k8s.V1Service, ...opts });
                return;
            case "Deployment":
                await apps.createNamespacedDeployment({ namespace, body: body as k8s.V1Deployment, ...opts });
                return;
            default:
                throw new Error(`dryRunCreateStrict: ${obj.apiVersion ?? "?"}/${kind} is not supported`);
        }
    };

    const patchIstio = async (kind: IstioKind, namespace: string, name: string, ops: JsonPatchOp[]): Promise<KubeObject> =>
        (await custom.patchNamespacedCustomObject(
            { group: ISTIO_GROUP, version: ISTIO_VERSION, namespace, plural: PLURAL[kind], name, body: ops, fieldManager: "kubectl-patch" },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
        )) as KubeObject;

    return { kubeConfig: kc, server, getIstio, listIstio, listCore, listOurs, namespaceExists, dryRunCreateStrict, patchIstio };
}

/** "networking.istio.io/v1" -> ["networking.istio.io", "v1"]; "v1" -> ["", "v1"]. */
export function splitApiVersion(apiVersion: string): [string, string] {
    const i = apiVersion.indexOf("/");
    return i < 0 ? ["", apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

/** An object without the fields the API server fills in (uid, resourceVersion, managedFields, status...). */
export function specOf(obj: KubeObject): { name: string; labels: Record<string, string>; spec: unknown } {
    return { name: obj.metadata.name, labels: obj.metadata.labels ?? {}, spec: obj.spec };
}

/** name -> resourceVersion of every object of every kind, e.g. `{ "VirtualService/sample-app": "1234" }`. */
export function resourceVersions(all: Record<OurKind, KubeObject[]>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [kind, objs] of Object.entries(all)) {
        for (const o of objs) {
            out[`${kind}/${o.metadata.name}`] = o.metadata.resourceVersion ?? "";
        }
    }
    return out;
}
