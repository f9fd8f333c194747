/**
 * The Gateway API fields we emit (gateway.networking.k8s.io/v1, standard channel of sigs.k8s.io/gateway-api v1.6.0,
 * the version the pinned istio module requires), typed from its CRDs, and {@link GatewayApiResource}, a custom
 * resource with a typed spec. Only what this package writes is typed; the unit suite validates every emitted object
 * against the pinned CRDs' schema (test/support/istioSchema.ts with the Gateway API bundle).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

export const GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";

/**
 * A route's parent: a Gateway (north-south) or, for mesh routes (GAMMA), a Service (`group: ""`, `kind: Service`), or
 * Istio's ServiceEntry (`group: networking.istio.io`: mesh traffic to an external host, Istio's egress recipe).
 */
export interface ParentReference {
    group?: string;
    kind?: "Gateway" | "Service" | "ServiceEntry";
    name: string;
    namespace?: string;
    /** A Gateway's listener name. */
    sectionName?: string;
    port?: number;
}

/** Header match: Exact, or RegularExpression (Istio: RE2, whole value). */
export interface HTTPHeaderMatch {
    type: "Exact" | "RegularExpression";
    /** Header name (case-insensitive). */
    name: string;
    value: string;
}

export interface HTTPPathMatch {
    /** PathPrefix matches whole path segments: `/api` matches `/api` and `/api/x`, not `/apix`. */
    type: "PathPrefix" | "Exact";
    value: string;
}

export interface HTTPRouteMatch {
    path?: HTTPPathMatch;
    headers?: HTTPHeaderMatch[];
}

/** A header to set or add: name and value. */
export interface HTTPHeader {
    name: string;
    value: string;
}

/** A filter on one backendRef (standard channel): only the response header modifier is emitted, to add `Set-Cookie`. */
export interface HTTPBackendFilter {
    type: "ResponseHeaderModifier";
    responseHeaderModifier: { add?: HTTPHeader[] };
}

/** A backend: a Kubernetes Service and its port; `weight` is relative to the rule's other backends. */
export interface HTTPBackendRef {
    group?: string;
    kind?: "Service";
    name: string;
    namespace?: string;
    port: number;
    weight?: number;
    /** Filters applied when this backend serves the request (Istio: the destination's header operations). */
    filters?: HTTPBackendFilter[];
}

export interface HTTPRequestRedirectFilter {
    scheme?: "http" | "https";
    hostname?: string;
    path?: { type: "ReplaceFullPath"; replaceFullPath: string } | { type: "ReplacePrefixMatch"; replacePrefixMatch: string };
    port?: number;
    statusCode?: 301 | 302 | 303 | 307 | 308;
}

export interface HTTPURLRewriteFilter {
    path?: { type: "ReplacePrefixMatch"; replacePrefixMatch: string } | { type: "ReplaceFullPath"; replaceFullPath: string };
}

export interface HTTPRequestMirrorFilter {
    backendRef: { group?: string; kind?: "Service"; name: string; namespace?: string; port: number };
    /** Percent 0..100 (integer). */
    percent?: number;
    fraction?: { numerator: number; denominator: number };
}

export type HTTPRouteFilter =
    | { type: "RequestRedirect"; requestRedirect: HTTPRequestRedirectFilter }
    | { type: "URLRewrite"; urlRewrite: HTTPURLRewriteFilter }
    | { type: "RequestMirror"; requestMirror: HTTPRequestMirrorFilter };

export interface HTTPRouteRule {
    /** Section name (DNS label), e.g. `catch-all`. */
    name?: string;
    matches?: HTTPRouteMatch[];
    filters?: HTTPRouteFilter[];
    backendRefs?: HTTPBackendRef[];
    /** `request`: a Gateway API duration (GEP-2257), e.g. "10s", "1500ms". */
    timeouts?: { request?: string };
}

export interface HTTPRouteSpec {
    parentRefs: ParentReference[];
    hostnames?: string[];
    rules: HTTPRouteRule[];
}

export interface GatewayListener {
    name: string;
    hostname?: string;
    port: number;
    /** `HBONE`: Istio's tunnel, the listener of a waypoint (class `istio-waypoint`). `TLS`: SNI routing (TLSRoutes). */
    protocol: "HTTP" | "HTTPS" | "HBONE" | "TLS";
    /**
     * `Terminate` (`options`: implementation-specific settings, e.g. Istio's `gateway.istio.io/tls-terminate-mode: MUTUAL`),
     * or `Passthrough` (a TLS listener: the connection is routed by SNI, not decrypted).
     */
    tls?: { mode: "Terminate"; certificateRefs: { group?: string; kind?: "Secret"; name: string }[]; options?: Record<string, string> } | { mode: "Passthrough" };
    allowedRoutes?: AllowedRoutes;
}

/** Which namespaces' routes a listener admits: its own (`Same`), `All`, or those a label selector picks; `kinds`: which route kinds. */
export interface AllowedRoutes {
    kinds?: { group?: string; kind: "HTTPRoute" | "TLSRoute" }[];
    namespaces: {
        from: "Same" | "All" | "Selector";
        selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[] };
    };
}

export interface GatewayApiGatewaySpec {
    gatewayClassName: string;
    listeners: GatewayListener[];
}

/**
 * A TLSRoute's backend (standard channel since v1.5): a Service, or Istio's `Hostname` backend (`group:
 * networking.istio.io`), a host a ServiceEntry registers (the egress gateway forwards to the external host so).
 */
export interface TLSBackendRef {
    group?: string;
    kind?: "Service" | "Hostname";
    name: string;
    port: number;
    weight?: number;
}

/** A TLSRoute (gateway.networking.k8s.io/v1): connections routed by SNI (`hostnames`), not decrypted. */
export interface TLSRouteSpec {
    parentRefs: ParentReference[];
    hostnames: string[];
    rules: { name?: string; backendRefs: TLSBackendRef[] }[];
}

/** The specs by kind. */
export interface GatewayApiSpecs {
    Gateway: GatewayApiGatewaySpec;
    HTTPRoute: HTTPRouteSpec;
    TLSRoute: TLSRouteSpec;
}
export type GatewayApiKind = keyof GatewayApiSpecs;

/** Arguments of {@link GatewayApiResource}. */
export interface GatewayApiResourceArgs<K extends GatewayApiKind> {
    kind: K;
    metadata: pulumi.Input<{
        name: pulumi.Input<string>;
        namespace: pulumi.Input<string>;
        labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
        annotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    }>;
    spec: pulumi.Input<GatewayApiSpecs[K]>;
}

/**
 * A gateway.networking.k8s.io/v1 object with a typed spec. The Pulumi type is
 * `kubernetes:gateway.networking.k8s.io/v1:<Kind>`.
 */
export class GatewayApiResource<K extends GatewayApiKind> extends k8s.apiextensions.CustomResource {
    /** The kind of this object. */
    public readonly gatewayApiKind: K;
    /** The spec as emitted (plain when the args were), for outputs and tests. */
    public readonly gatewayApiSpec: pulumi.Input<GatewayApiSpecs[K]>;

    constructor(name: string, args: GatewayApiResourceArgs<K>, opts: pulumi.CustomResourceOptions = {}) {
        super(name, { apiVersion: GATEWAY_API_VERSION, kind: args.kind, metadata: args.metadata, spec: args.spec }, opts);
        this.gatewayApiKind = args.kind;
        this.gatewayApiSpec = args.spec;
    }
}
