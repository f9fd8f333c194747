/**
 * A small xDS client of istiod's Aggregated Discovery Service (state of the world, ADS over plaintext gRPC),
 * speaking for one proxy: a sidecar of a namespace, a gateway or an ambient waypoint. It subscribes to clusters and listeners,
 * then to the routes the listeners name and the endpoints of the EDS clusters, ACKs every response (it never
 * NACKs: it records what istiod sent, it does not judge it) and keeps the newest resources of each type.
 *
 * Envoy's protos come from `@grpc/grpc-js-xds` (its `deps/`: envoy-api, xds, googleapis, protoc-gen-validate),
 * loaded with protobufjs; resources are decoded to JSON-shaped objects (camelCase fields, `@type` on every
 * `Any` whose type is known, enums as names, durations as "3s"), the shape of Envoy's own config dump.
 *
 * Without `GENERATOR` in the node metadata istiod uses its Envoy generators (what a sidecar or gateway Envoy
 * gets: outlier detection, connection pools, load balancers on the clusters); `generator: "grpc"` asks for
 * what a proxyless gRPC client gets.
 */
import * as grpc from "@grpc/grpc-js";
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";

export const TYPE = {
    cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
    listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
    route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
    endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
} as const;
export type TypeUrl = (typeof TYPE)[keyof typeof TYPE];

/** A decoded xDS resource: JSON-shaped, as in Envoy's config dump (loosely typed on purpose: Envoy's API is huge). */
export type Resource = Record<string, unknown>;

const PROTO_FILES = [
    "envoy/service/discovery/v3/ads.proto",
    "envoy/config/listener/v3/listener.proto",
    "envoy/config/route/v3/route.proto",
    "envoy/config/cluster/v3/cluster.proto",
    "envoy/config/endpoint/v3/endpoint.proto",
    "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
    "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto",
    "envoy/extensions/filters/http/fault/v3/fault.proto",
    "envoy/extensions/filters/http/router/v3/router.proto",
    "envoy/extensions/transport_sockets/tls/v3/tls.proto",
    "envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto",
    "envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto",
    "envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto",
    "envoy/extensions/load_balancing_policies/random/v3/random.proto",
    "envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin.proto",
    "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
];

let cachedRoot: protobuf.Root | undefined;

/** Envoy's protos, loaded once per process (about 0.3 s). */
export function envoyProtos(): protobuf.Root {
    if (cachedRoot !== undefined) {
        return cachedRoot;
    }
    const deps = path.join(path.dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
    const dirs = [
        path.dirname(require.resolve("protobufjs/package.json")),
        ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => path.join(deps, d)),
    ];
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => dirs.map((d) => path.join(d, target)).find((p) => fs.existsSync(p)) ?? target;
    root.loadSync(PROTO_FILES, { keepCase: false });
    root.resolveAll();
    cachedRoot = root;
    return root;
}

const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: Number, bytes: String, defaults: false, json: true, oneofs: false };

/** An `Any` as protobufjs decodes it: its bundled google.protobuf.Any keeps the proto field name `type_url`. */
export interface RawAny {
    type_url?: string;
    value?: Uint8Array;
}

/** Decode one resource (`Any`) with its type; durations become "3s" like Envoy's JSON. */
export function decodeResource(root: protobuf.Root, any: RawAny): Resource {
    const url = any.type_url ?? "";
    const type = root.lookupType(url.slice(url.lastIndexOf("/") + 1));
    return normalizeDurations(type.toObject(type.decode(any.value ?? new Uint8Array()), TO_OBJECT)) as Resource;
}

/**
 * protobufjs renders google.protobuf.Duration as {seconds, nanos} and the wrapper types (UInt32Value, BoolValue,
 * ...) as {value}; Envoy's JSON (and our expectations) say "3s" and the bare value.
 */
function normalizeDurations(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(normalizeDurations);
    }
    if (v === null || typeof v !== "object") {
        return v;
    }
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === "value" && ["number", "boolean", "string"].includes(typeof o["value"])) {
        return o["value"];
    }
    if (keys.length === 1 && keys[0] === "fields" && isStructFields(o["fields"])) {
        return Object.fromEntries(Object.entries(o["fields"]).map(([k, x]) => [k, structValue(x)]));
    }
    if (keys.length > 0 && keys.every((k) => k === "seconds" || k === "nanos") && (typeof o["seconds"] === "number" || typeof o["nanos"] === "number")) {
        const s = Number(o["seconds"] ?? 0) + Number(o["nanos"] ?? 0) / 1e9;
        return `${Number(s.toFixed(9))}s`;
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, normalizeDurations(x)]));
}

const VALUE_KEYS = ["nullValue", "numberValue", "stringValue", "boolValue", "structValue", "listValue"];

/** Whether `v` is the `fields` map of a google.protobuf.Struct as protobufjs decodes it. */
function isStructFields(v: unknown): v is Record<string, Record<string, unknown>> {
    return (
        v !== null &&
        typeof v === "object" &&
        Object.values(v).every((x) => x !== null && typeof x === "object" && Object.keys(x).length <= 1 && Object.keys(x).every((k) => VALUE_KEYS.includes(k)))
    );
}

/** google.protobuf.Value -> plain JSON. */
function structValue(v: Record<string, unknown>): unknown {
    if ("structValue" in v) return normalizeDurations(v["structValue"]);
    if ("listValue" in v) return (((v["listValue"] as Record<string, unknown>)["values"] ?? []) as Record<string, unknown>[]).map(structValue);
    if ("nullValue" in v) return null;
    return v["stringValue"] ?? v["numberValue"] ?? v["boolValue"] ?? null;
}

/** The proxy an {@link XdsClient} speaks for (Envoy's `Node`). */
export interface XdsNode {
    id: string;
    cluster: string;
    metadata: Record<string, unknown>;
}

export interface SidecarNodeOptions {
    namespace: string;
    /** Pod name of the proxy (it need not exist). */
    podName: string;
    /** Pod IP; any address, it only has to be unique among the connected proxies. */
    ip: string;
    labels: Record<string, string>;
    /** "grpc" for what proxyless gRPC gets; default: the Envoy generators. */
    generator?: "grpc";
    /** ISTIO_VERSION the proxy reports (istiod gates features on it). */
    istioVersion?: string;
}

/** The node of a sidecar proxy: `sidecar~IP~POD.NS~NS.svc.cluster.local`, with the metadata istio-agent sends. */
export function sidecarNode(o: SidecarNodeOptions): XdsNode {
    return proxyNode("sidecar", o);
}

/** The node of a gateway proxy (`router~...`) in `namespace` with `labels` (e.g. {istio: "ingressgateway"}). */
export function gatewayNode(o: SidecarNodeOptions): XdsNode {
    return proxyNode("router", o);
}

export interface WaypointNodeOptions {
    namespace: string;
    /** The waypoint's name: its Gateway's (class istio-waypoint), the value of `istio.io/use-waypoint`. */
    gateway: string;
    /** Pod name of the proxy (it need not exist). */
    podName: string;
    /** Pod IP; any address, unique among the connected proxies. */
    ip: string;
}

/**
 * The node of an ambient waypoint proxy (`waypoint~...`, istiod's node type Waypoint) with the labels istiod's
 * deployment controller gives a waypoint's pods: the Gateway's name (the waypoint's Service selects its pods by it)
 * and the mesh controller's `gateway.istio.io/managed`.
 */
export function waypointNode(o: WaypointNodeOptions): XdsNode {
    const labels = { "gateway.networking.k8s.io/gateway-name": o.gateway, "gateway.istio.io/managed": "istio.io-mesh-controller" };
    return proxyNode("waypoint", { namespace: o.namespace, podName: o.podName, ip: o.ip, labels });
}

function proxyNode(kind: "sidecar" | "router" | "waypoint", o: SidecarNodeOptions): XdsNode {
    const app = o.labels["app"] ?? o.podName;
    return {
        id: `${kind}~${o.ip}~${o.podName}.${o.namespace}~${o.namespace}.svc.cluster.local`,
        cluster: `${app}.${o.namespace}`,
        metadata: {
            NAMESPACE: o.namespace,
            NAME: o.podName,
            CLUSTER_ID: "Kubernetes",
            ISTIO_VERSION: o.istioVersion ?? "1.31.0",
            LABELS: o.labels,
            INSTANCE_IPS: o.ip,
            MESH_ID: "cluster.local",
            WORKLOAD_NAME: app,
            ...(o.generator === undefined ? {} : { GENERATOR: o.generator }),
        },
    };
}

/** google.protobuf.Struct from plain JSON. */
function toStruct(v: Record<string, unknown>): Record<string, unknown> {
    const value = (x: unknown): Record<string, unknown> => {
        if (x === null || x === undefined) return { nullValue: 0 };
        if (typeof x === "string") return { stringValue: x };
        if (typeof x === "number") return { numberValue: x };
        if (typeof x === "boolean") return { boolValue: x };
        if (Array.isArray(x)) return { listValue: { values: x.map(value) } };
        return { structValue: toStruct(x as Record<string, unknown>) };
    };
    return { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)])) };
}

/** One response as received: its version, nonce and decoded resources. */
export interface XdsUpdate {
    typeUrl: TypeUrl;
    versionInfo: string;
    nonce: string;
    resources: Resource[];
    /** Date.now() at receipt. */
    at: number;
}

interface Watch {
    names: string[];
    version: string;
    nonce: string;
}

export interface XdsClientOptions {
    /** istiod's plaintext xDS address, host:port. */
    address: string;
    node: XdsNode;
    /** Also subscribe to endpoints of EDS clusters. Default true. */
    endpoints?: boolean;
}

/**
 * One ADS stream to istiod. `resources(type)` gives the newest of each type; `onUpdate` listeners see every
 * response; `waitFor` resolves once a predicate over the current state holds.
 */
export class XdsClient {
    private readonly root = envoyProtos();
    private readonly client: grpc.Client;
    private readonly call: grpc.ClientDuplexStream<Uint8Array, Uint8Array>;
    private readonly watches = new Map<TypeUrl, Watch>();
    private readonly state = new Map<TypeUrl, Resource[]>();
    private readonly listeners = new Set<(u: XdsUpdate) => void>();
    private closed = false;
    /** The last stream error, if the stream ended. */
    error: Error | undefined;
    /** Responses received, per type. */
    readonly received: Record<string, number> = {};

    constructor(private readonly opts: XdsClientOptions) {
        const Req = this.root.lookupType("envoy.service.discovery.v3.DiscoveryRequest");
        const Res = this.root.lookupType("envoy.service.discovery.v3.DiscoveryResponse");
        this.client = new grpc.Client(opts.address, grpc.credentials.createInsecure());
        this.call = this.client.makeBidiStreamRequest(
            "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
            (m: Uint8Array) => Buffer.from(m),
            (b: Buffer) => new Uint8Array(b),
        );
        this.encodeRequest = (r) => Req.encode(Req.fromObject(r)).finish();
        this.decodeResponse = (b) => Res.decode(b) as unknown as RawResponse;
        this.call.on("data", (b: Uint8Array) => {
            try {
                this.onData(b);
            } catch (e) {
                // A response we cannot decode is recorded, never thrown out of the stream's event handler.
                this.error = e instanceof Error ? e : new Error(String(e));
            }
        });
        this.call.on("error", (e: Error) => {
            if (!this.closed) this.error = e;
        });
        this.call.on("end", () => {
            if (!this.closed && this.error === undefined) this.error = new Error("istiod closed the xDS stream");
        });
        this.subscribe(TYPE.cluster, []);
        this.subscribe(TYPE.listener, []);
    }

    private readonly encodeRequest: (r: Record<string, unknown>) => Uint8Array;
    private readonly decodeResponse: (b: Uint8Array) => RawResponse;
    private sentNode = false;

    private send(typeUrl: TypeUrl, w: Watch, errorDetail?: string): void {
        const req: Record<string, unknown> = { typeUrl, resourceNames: w.names, versionInfo: w.version, responseNonce: w.nonce };
        if (!this.sentNode) {
            req["node"] = { id: this.opts.node.id, cluster: this.opts.node.cluster, metadata: toStruct(this.opts.node.metadata) };
            this.sentNode = true;
        }
        if (errorDetail !== undefined) req["errorDetail"] = { code: 3, message: errorDetail };
        this.call.write(this.encodeRequest(req));
    }

    private subscribe(typeUrl: TypeUrl, names: string[]): void {
        const w = this.watches.get(typeUrl);
        const sorted = [...new Set(names)].sort();
        if (w !== undefined && w.names.join("\n") === sorted.join("\n")) return;
        const next: Watch = { names: sorted, version: w?.version ?? "", nonce: w?.nonce ?? "" };
        this.watches.set(typeUrl, next);
        const kept = this.state.get(typeUrl);
        if (kept !== undefined) this.state.set(typeUrl, mergeState(typeUrl, kept, [], sorted));
        this.send(typeUrl, next);
    }

    private onData(b: Uint8Array): void {
        const res = this.decodeResponse(b);
        const typeUrl = res.typeUrl as TypeUrl;
        const resources = (res.resources ?? []).map((a) => decodeResource(this.root, a));
        const w = this.watches.get(typeUrl) ?? { names: [], version: "", nonce: "" };
        w.version = res.versionInfo ?? "";
        w.nonce = res.nonce ?? "";
        this.watches.set(typeUrl, w);
        this.state.set(typeUrl, mergeState(typeUrl, this.state.get(typeUrl) ?? [], resources, w.names));
        this.received[typeUrl] = (this.received[typeUrl] ?? 0) + 1;
        this.send(typeUrl, w); // ACK
        if (typeUrl === TYPE.listener) {
            this.subscribe(TYPE.route, routeNames(resources));
        } else if (typeUrl === TYPE.cluster && this.opts.endpoints !== false) {
            this.subscribe(TYPE.endpoint, edsClusterNames(resources));
        }
        const update: XdsUpdate = { typeUrl, versionInfo: w.version, nonce: w.nonce, resources, at: Date.now() };
        for (const l of this.listeners) l(update);
    }

    resources(typeUrl: TypeUrl): Resource[] {
        return this.state.get(typeUrl) ?? [];
    }

    onUpdate(listener: (u: XdsUpdate) => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    /**
     * Resolves with the predicate's value once it is not undefined (checked now and after every response);
     * rejects after `timeoutMs` with `what` and the last stream error.
     */
    waitFor<T>(what: string, predicate: (c: XdsClient) => T | undefined, timeoutMs = 30_000): Promise<T> {
        return new Promise((resolve, reject) => {
            const check = (): boolean => {
                const v = predicate(this);
                if (v === undefined) return false;
                clearTimeout(timer);
                off();
                resolve(v);
                return true;
            };
            const timer = setTimeout(() => {
                off();
                reject(new Error(`xDS (${this.opts.node.id} at ${this.opts.address}): ${what} not seen within ${timeoutMs} ms` +
                    (this.error === undefined ? "" : `; stream error: ${this.error.message}`)));
            }, timeoutMs);
            const off = this.onUpdate(() => void check());
            check();
        });
    }

    close(): void {
        this.closed = true;
        this.call.cancel();
        this.client.close();
    }
}

/** The name of a resource: `clusterName` for endpoints, `name` for the rest. */
export function resourceName(typeUrl: TypeUrl, r: Resource): string {
    return String(typeUrl === TYPE.endpoint ? r["clusterName"] : r["name"]);
}

/**
 * The state after a state-of-the-world response. Listeners and clusters come whole in every response; routes and
 * endpoints do not (istiod pushes only the route configurations and load assignments that changed), so those are
 * merged by name, keeping only the names still subscribed.
 */
export function mergeState(typeUrl: TypeUrl, before: readonly Resource[], received: readonly Resource[], subscribed: readonly string[]): Resource[] {
    if (typeUrl === TYPE.cluster || typeUrl === TYPE.listener) return [...received];
    const byName = new Map(before.map((r) => [resourceName(typeUrl, r), r]));
    for (const r of received) byName.set(resourceName(typeUrl, r), r);
    const keep = new Set(subscribed);
    return [...byName.entries()].filter(([n]) => keep.has(n)).map(([, r]) => r);
}

interface RawResponse {
    versionInfo?: string;
    typeUrl?: string;
    nonce?: string;
    resources?: RawAny[];
}

/** HCM filters of a listener (every filter chain, and the API listener of a gRPC client). */
export function httpConnectionManagers(listener: Resource): Resource[] {
    const out: Resource[] = [];
    const api = (listener["apiListener"] as Resource | undefined)?.["apiListener"] as Resource | undefined;
    if (api !== undefined) out.push(api);
    const chains = [...((listener["filterChains"] ?? []) as Resource[]), ...(listener["defaultFilterChain"] === undefined ? [] : [listener["defaultFilterChain"] as Resource])];
    for (const chain of chains) {
        for (const f of (chain["filters"] ?? []) as Resource[]) {
            const tc = f["typedConfig"] as Resource | undefined;
            if (tc?.["@type"] === "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager") out.push(tc);
        }
    }
    return out;
}

/** Route configuration names the listeners ask for over RDS. */
export function routeNames(listeners: readonly Resource[]): string[] {
    return listeners.flatMap(httpConnectionManagers).map((h) => (h["rds"] as Resource | undefined)?.["routeConfigName"]).filter((n): n is string => typeof n === "string");
}

/** Names of the clusters whose endpoints come over EDS. */
export function edsClusterNames(clusters: readonly Resource[]): string[] {
    return clusters.filter((c) => c["type"] === "EDS").map((c) => String(c["name"]));
}
