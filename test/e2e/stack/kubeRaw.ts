/**
 * Raw requests to the API server for the field-validation tests: the generated client-node APIs hide the
 * `Warning` response headers (where the server reports pruned unknown fields) and their generic object API
 * cannot pass `fieldValidation`. Credentials come from the KubeConfig (`applyToHTTPSOptions`).
 */
import type * as k8s from "@kubernetes/client-node";
import * as https from "node:https";
import type { KubeObject } from "../../support/cluster";
import { splitApiVersion } from "../../support/cluster";

export interface RawResponse {
    status: number;
    /** Parsed JSON body (a metav1.Status on errors). */
    body: unknown;
    /** `Warning` response headers (e.g. `299 - "unknown field \"spec.foo\""`). */
    warnings: string[];
}

export type FieldValidation = "Strict" | "Warn" | "Ignore";

export interface WriteOptions {
    /** `fieldValidation` query parameter; absent = the server's default. */
    fieldValidation?: FieldValidation;
    dryRun?: boolean;
    /** Field manager (required for server-side apply). */
    fieldManager?: string;
    /** Server-side apply `force`. */
    force?: boolean;
}

const PLURALS: Record<string, string> = {
    VirtualService: "virtualservices",
    DestinationRule: "destinationrules",
    Gateway: "gateways",
    ServiceEntry: "serviceentries",
    Service: "services",
    Deployment: "deployments",
    Namespace: "namespaces",
    Pod: "pods",
    Secret: "secrets",
    WorkloadEntry: "workloadentries",
    Sidecar: "sidecars",
    HTTPRoute: "httproutes",
};

/** The collection URL path of an object's kind in its namespace, e.g. /apis/networking.istio.io/v1/namespaces/ns/gateways. */
export function collectionPath(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
    const [group, version] = splitApiVersion(obj.apiVersion ?? "");
    const plural = PLURALS[obj.kind ?? ""];
    if (plural === undefined || version === "") {
        throw new Error(`kubeRaw: no URL for ${obj.apiVersion ?? "?"}/${obj.kind ?? "?"}`);
    }
    const base = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
    return obj.metadata.namespace === undefined ? `${base}/${plural}` : `${base}/namespaces/${obj.metadata.namespace}/${plural}`;
}

function query(opts: WriteOptions): string {
    const q = new URLSearchParams();
    if (opts.fieldValidation !== undefined) q.set("fieldValidation", opts.fieldValidation);
    if (opts.dryRun === true) q.set("dryRun", "All");
    if (opts.fieldManager !== undefined) q.set("fieldManager", opts.fieldManager);
    if (opts.force === true) q.set("force", "true");
    const s = q.toString();
    return s === "" ? "" : `?${s}`;
}

/** One request; resolves with any status (the caller asserts it). */
export async function rawRequest(kc: k8s.KubeConfig, method: string, urlPath: string, body: unknown, contentType = "application/json"): Promise<RawResponse> {
    const server = kc.getCurrentCluster()?.server;
    if (server === undefined) {
        throw new Error("kubeRaw: the kubeconfig has no current cluster");
    }
    const url = new URL(urlPath, server);
    const opts: https.RequestOptions = {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { "Content-Type": contentType, Accept: "application/json" },
    };
    await kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<RawResponse>((resolve, reject) => {
        const req = https.request(opts, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (text += c));
            res.on("end", () => {
                const w = res.headers["warning"];
                const warnings = w === undefined ? [] : Array.isArray(w) ? w : [w];
                let parsed: unknown = text;
                try {
                    parsed = JSON.parse(text);
                } catch {
                    // keep the text
                }
                resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
            });
            res.on("error", reject);
        });
        req.on("error", reject);
        if (payload !== undefined) req.write(payload);
        req.end();
    });
}

/** POST (create) `obj`. */
export function createRaw(kc: k8s.KubeConfig, obj: KubeObject, opts: WriteOptions = {}): Promise<RawResponse> {
    return rawRequest(kc, "POST", collectionPath(obj) + query(opts), obj);
}

/** Server-side apply (PATCH application/apply-patch+yaml; JSON is YAML) of `obj`, as the Pulumi provider writes. */
export function applyRaw(kc: k8s.KubeConfig, obj: KubeObject, opts: WriteOptions & { fieldManager: string }): Promise<RawResponse> {
    return rawRequest(kc, "PATCH", `${collectionPath(obj)}/${obj.metadata.name}${query(opts)}`, obj, "application/apply-patch+yaml");
}

/** The apiVersion of each kind the dev stack creates. */
export const API_VERSIONS: Readonly<Record<string, string>> = {
    VirtualService: "networking.istio.io/v1",
    DestinationRule: "networking.istio.io/v1",
    Gateway: "networking.istio.io/v1",
    ServiceEntry: "networking.istio.io/v1",
    Service: "v1",
    Deployment: "apps/v1",
};

/**
 * Every object of the kinds in {@link API_VERSIONS} in `namespace`, as the server serves it (JSON, not through
 * client-node's model classes), with apiVersion and kind set, sorted by kind then name.
 */
export async function listLive(kc: k8s.KubeConfig, namespace: string): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const [kind, apiVersion] of Object.entries(API_VERSIONS)) {
        const res = await rawRequest(kc, "GET", collectionPath({ apiVersion, kind, metadata: { name: "", namespace } }), undefined);
        if (res.status !== 200) throw new Error(`list ${kind} in ${namespace}: ${res.status} ${statusMessage(res)}`);
        const items = ((res.body as { items?: KubeObject[] }).items ?? []).map((o) => ({ ...o, apiVersion, kind }));
        out.push(...items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)));
    }
    return out;
}

/** GET one object; undefined on 404. */
export async function getRaw(kc: k8s.KubeConfig, obj: KubeObject): Promise<KubeObject | undefined> {
    const res = await rawRequest(kc, "GET", `${collectionPath(obj)}/${obj.metadata.name}`, undefined);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET ${obj.kind}/${obj.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as KubeObject;
}

/** POST `obj`: true when created, false when it already existed (409). Throws on any other failure. */
export async function ensureCreated(kc: k8s.KubeConfig, obj: KubeObject): Promise<boolean> {
    const res = await createRaw(kc, obj);
    if (res.status !== 201 && res.status !== 409) {
        throw new Error(`create ${obj.kind ?? "?"}/${obj.metadata.name}: ${res.status} ${statusMessage(res)}`);
    }
    return res.status === 201;
}

/** DELETE one object (ignores 404). */
export async function deleteRaw(kc: k8s.KubeConfig, obj: KubeObject): Promise<void> {
    const res = await rawRequest(kc, "DELETE", `${collectionPath(obj)}/${obj.metadata.name}`, undefined);
    if (res.status !== 200 && res.status !== 202 && res.status !== 404) {
        throw new Error(`DELETE ${obj.kind}/${obj.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
    }
}

/** The message of a metav1.Status body. */
export function statusMessage(res: RawResponse): string {
    const m = (res.body as { message?: unknown } | null)?.message;
    return typeof m === "string" ? m : JSON.stringify(res.body);
}

/**
 * What is left of a live object to re-apply it: apiVersion, kind, name, namespace, labels, annotations and
 * spec (no status, uid, resourceVersion or managedFields).
 */
export function applyable(obj: KubeObject, kind: string, apiVersion: string): KubeObject {
    const { name, namespace, labels, annotations } = obj.metadata;
    return {
        apiVersion,
        kind,
        metadata: {
            name,
            ...(namespace === undefined ? {} : { namespace }),
            ...(labels === undefined ? {} : { labels }),
            ...(annotations === undefined ? {} : { annotations }),
        },
        ...(obj.spec === undefined ? {} : { spec: obj.spec }),
    };
}
