/**
 * Typed shapes of the networking.istio.io/v1 objects this package emits, and a thin typed wrapper over
 * `k8s.apiextensions.CustomResource`.
 *
 * Source of truth: the Istio 1.30.3 CRD OpenAPI schema (`kubernetes/customresourcedefinitions.gen.yaml` in
 * istio.io/api, pinned in scripts/toolchain.pins; `scripts/istio-crds.sh` prints its cached path). Only the
 * fields this package writes are declared, with the schema's names and shapes; anything else is left out on
 * purpose so that a field Istio does not know (the seed's `circuitBreaker`, `keepAlive`, `cookie` matcher) cannot be typed.
 * Durations are Go-style strings ("30s", "1m30s", at least 1ms); percentages are doubles 0..100.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export const ISTIO_API_VERSION = "networking.istio.io/v1";

// ---------------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------------

/** `istio.networking.v1.Percent`. */
export interface Percent {
    value: number;
}

/** `PortSelector`. */
export interface PortSelector {
    number: number;
}

/** `StringMatch`: exactly one of exact, prefix, regex (RE2 syntax). */
export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

// ---------------------------------------------------------------------------------------------------
// VirtualService
// ---------------------------------------------------------------------------------------------------

/** `Destination`. */
export interface Destination {
    host: string;
    subset?: string;
    port?: PortSelector;
}

/** `HTTPRouteDestination`. */
export interface HTTPRouteDestination {
    destination: Destination;
    /** Integer percent; absent means 100 when it is the only destination. */
    weight?: number;
    /** Header operations for requests to (and responses from) this destination; we only add response headers. */
    headers?: { response?: { add?: Record<string, string> } };
}

/** `HTTPMatchRequest` (subset). */
export interface HTTPMatchRequest {
    name?: string;
    uri?: StringMatch;
    headers?: Record<string, StringMatch>;
    gateways?: string[];
    port?: number;
}

/** `HTTPRedirect` (subset). */
export interface HTTPRedirect {
    uri?: string;
    authority?: string;
    redirectCode?: number;
}

/** `HTTPRewrite` (subset). */
export interface HTTPRewrite {
    uri?: string;
    authority?: string;
}

/** `HTTPRetry` (subset). */
export interface HTTPRetry {
    attempts: number;
    perTryTimeout?: string;
    retryOn?: string;
}

/** `HTTPFaultInjection.Delay` (subset). */
export interface HTTPFaultDelay {
    percentage?: Percent;
    fixedDelay: string;
}

/** `HTTPFaultInjection.Abort` (subset). */
export interface HTTPFaultAbort {
    percentage?: Percent;
    httpStatus: number;
}

/** `HTTPFaultInjection`. */
export interface HTTPFaultInjection {
    delay?: HTTPFaultDelay;
    abort?: HTTPFaultAbort;
}

/** `HTTPRoute` (subset). */
/**
 * `Delegate`: the VirtualService (no hosts, no gateways) whose HTTP routes Istio merges into a root route.
 * One level only; the root route has no route/redirect of its own.
 */
export interface Delegate {
    name: string;
    namespace?: string;
}

export interface HTTPRoute {
    name?: string;
    match?: HTTPMatchRequest[];
    delegate?: Delegate;
    route?: HTTPRouteDestination[];
    redirect?: HTTPRedirect;
    rewrite?: HTTPRewrite;
    timeout?: string;
    retries?: HTTPRetry;
    fault?: HTTPFaultInjection;
    mirror?: Destination;
    mirrorPercentage?: Percent;
}

/** `TLSMatchAttributes` (subset). */
export interface TLSMatchAttributes {
    sniHosts: string[];
    port?: number;
    gateways?: string[];
}

/** `RouteDestination`. */
export interface RouteDestination {
    destination: Destination;
    weight?: number;
}

/** `TCPRoute`: connections to the VirtualService's hosts (on a port, `match`) routed to weighted destinations. */
export interface TCPRoute {
    match?: { port?: number; gateways?: string[] }[];
    route: RouteDestination[];
}

/** `TLSRoute`. */
export interface TLSRoute {
    match: TLSMatchAttributes[];
    route?: RouteDestination[];
}

/** `VirtualService` spec (subset). */
export interface VirtualServiceSpec {
    /** Absent on a delegate VirtualService (Istio: a VirtualService without hosts is a delegate). */
    hosts?: string[];
    gateways?: string[];
    http?: HTTPRoute[];
    tcp?: TCPRoute[];
    tls?: TLSRoute[];
    exportTo?: string[];
}

// ---------------------------------------------------------------------------------------------------
// DestinationRule
// ---------------------------------------------------------------------------------------------------

export type SimpleLB = "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM" | "PASSTHROUGH";

/** `LoadBalancerSettings.ConsistentHashLB.HTTPCookie`. */
export interface HTTPCookie {
    name: string;
    path?: string;
    ttl?: string;
}

/** `LoadBalancerSettings.ConsistentHashLB`: exactly one hash key. */
export type ConsistentHashLB =
    | { httpHeaderName: string }
    | { httpCookie: HTTPCookie }
    | { useSourceIp: boolean }
    | { httpQueryParameterName: string };

/** `LoadBalancerSettings`: exactly one of simple, consistentHash. */
export type LoadBalancerSettings = { simple: SimpleLB } | { consistentHash: ConsistentHashLB };

/** `ConnectionPoolSettings.TCPSettings.TcpKeepalive`. */
export interface TcpKeepalive {
    time?: string;
    interval?: string;
    probes?: number;
}

/** `ConnectionPoolSettings.TCPSettings` (subset). */
export interface TCPSettings {
    maxConnections?: number;
    connectTimeout?: string;
    tcpKeepalive?: TcpKeepalive;
}

export type H2UpgradePolicy = "DEFAULT" | "DO_NOT_UPGRADE" | "UPGRADE";

/** `ConnectionPoolSettings.HTTPSettings` (subset). */
export interface HTTPSettings {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: string;
    h2UpgradePolicy?: H2UpgradePolicy;
}

/** `ConnectionPoolSettings`. */
export interface ConnectionPoolSettings {
    tcp?: TCPSettings;
    http?: HTTPSettings;
}

/** `OutlierDetection` (subset; `consecutiveErrors` is deprecated and not emitted). */
export interface OutlierDetection {
    consecutive5xxErrors?: number;
    consecutiveGatewayErrors?: number;
    interval?: string;
    baseEjectionTime?: string;
    maxEjectionPercent?: number;
    minHealthPercent?: number;
    splitExternalLocalOriginErrors?: boolean;
}

/** `ClientTLSSettings` (subset: this package only emits Istio mutual TLS or DISABLE). */
export interface ClientTLSSettings {
    mode: "DISABLE" | "ISTIO_MUTUAL";
    sni?: string;
}

/** `TrafficPolicy` (subset). */
export interface TrafficPolicy {
    loadBalancer?: LoadBalancerSettings;
    connectionPool?: ConnectionPoolSettings;
    outlierDetection?: OutlierDetection;
    tls?: ClientTLSSettings;
}

/** `Subset`. */
export interface Subset {
    name: string;
    labels?: Record<string, string>;
    trafficPolicy?: TrafficPolicy;
}

/** `DestinationRule` spec (subset). */
export interface DestinationRuleSpec {
    host: string;
    trafficPolicy?: TrafficPolicy;
    subsets?: Subset[];
    exportTo?: string[];
}

// ---------------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------------

/** `Port` of a Gateway server: number, protocol and name are all required by the schema. */
export interface GatewayPort {
    number: number;
    name: string;
    protocol: "HTTP" | "HTTPS" | "HTTP2" | "GRPC" | "TLS" | "TCP";
}

export type ServerTLSMode = "PASSTHROUGH" | "SIMPLE" | "MUTUAL" | "AUTO_PASSTHROUGH" | "ISTIO_MUTUAL" | "OPTIONAL_MUTUAL";

/** `ServerTLSSettings` (subset). */
export interface ServerTLSSettings {
    httpsRedirect?: boolean;
    mode?: ServerTLSMode;
    credentialName?: string;
}

/** `Server`. */
export interface Server {
    port: GatewayPort;
    hosts: string[];
    tls?: ServerTLSSettings;
    name?: string;
}

/** `Gateway` spec. */
export interface GatewaySpec {
    selector: Record<string, string>;
    servers: Server[];
}

// ---------------------------------------------------------------------------------------------------
// ServiceEntry
// ---------------------------------------------------------------------------------------------------

/** `ServicePort`. */
export interface ServicePort {
    number: number;
    name: string;
    protocol: "HTTP" | "HTTPS" | "HTTP2" | "GRPC" | "TLS" | "TCP";
}

/** `ServiceEntry` spec (subset). */
export interface ServiceEntrySpec {
    hosts: string[];
    ports: ServicePort[];
    location: "MESH_EXTERNAL" | "MESH_INTERNAL";
    resolution: "NONE" | "STATIC" | "DNS" | "DNS_ROUND_ROBIN";
    exportTo?: string[];
}

// ---------------------------------------------------------------------------------------------------
// Sidecar
// ---------------------------------------------------------------------------------------------------

/** `IstioEgressListener` (subset). */
export interface IstioEgressListener {
    hosts: string[];
}

/** `Sidecar` spec (subset). */
export interface SidecarSpec {
    egress?: IstioEgressListener[];
    outboundTrafficPolicy?: { mode: "REGISTRY_ONLY" | "ALLOW_ANY" };
}

// ---------------------------------------------------------------------------------------------------
// Typed CustomResource wrapper
// ---------------------------------------------------------------------------------------------------

/** Spec type per Istio kind. */
export interface IstioSpecs {
    VirtualService: VirtualServiceSpec;
    DestinationRule: DestinationRuleSpec;
    Gateway: GatewaySpec;
    ServiceEntry: ServiceEntrySpec;
    Sidecar: SidecarSpec;
}

export type IstioKind = keyof IstioSpecs;

/** Arguments of {@link IstioResource}. */
export interface IstioResourceArgs<K extends IstioKind> {
    /** The Istio kind; decides the type of `spec`. */
    kind: K;
    /** Kubernetes metadata. `name` is required: other objects refer to Istio objects by name. */
    metadata: pulumi.Input<{
        name: pulumi.Input<string>;
        namespace: pulumi.Input<string>;
        labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
        annotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    }>;
    /** The spec, fully typed: plain, or an Output of the plan of args that resolved later (components validate before they create anything). */
    spec: pulumi.Input<IstioSpecs[K]>;
}

/**
 * A networking.istio.io/v1 object with a typed spec: `new IstioResource(name, { kind: "Gateway", metadata, spec })`.
 * The Pulumi type is `kubernetes:networking.istio.io/v1:<Kind>`.
 */
export class IstioResource<K extends IstioKind> extends k8s.apiextensions.CustomResource {
    /** The Istio kind of this object. */
    public readonly istioKind: K;
    /** The spec as emitted (plain when the args were), for outputs and tests. */
    public readonly istioSpec: pulumi.Input<IstioSpecs[K]>;

    constructor(name: string, args: IstioResourceArgs<K>, opts: pulumi.CustomResourceOptions = {}) {
        super(
            name,
            {
                apiVersion: ISTIO_API_VERSION,
                kind: args.kind,
                metadata: args.metadata,
                spec: args.spec,
            },
            opts,
        );
        this.istioKind = args.kind;
        this.istioSpec = args.spec;
    }
}
