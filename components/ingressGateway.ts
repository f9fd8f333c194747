/**
 * `IngressGateway`: an Istio Gateway (port 80 HTTP redirecting to HTTPS, port 443 HTTPS with an explicit
 * TLS mode and `credentialName`; or, with `protocol: "HTTP"`, port 80 plain HTTP only) and the VirtualService bound to
 * it, routing URI prefixes and exact paths to services.
 * Istio ignores the mesh VirtualService for gateway traffic (analyzer IST0140), so a route repeats the service's
 * split (`weights`) or, better, carries all of the service's routes under its prefix (`routes`: pins, A/B, faults,
 * retries, timeouts, the weighted catch-all), merged as istiod merges a delegate VirtualService.
 */
import * as pulumi from "@pulumi/pulumi";
import { planIngressGateway } from "./ingressGatewayPlan";
import { IstioResource } from "./istio/types";
import { objectMeta } from "./meta";
import { GatewayRouteArgs } from "./routes";
import { PlannedArgs, type DeepInput, type Plain } from "./inputs";

export const INGRESS_GATEWAY_TOKEN = "mesh-traffic:index:IngressGateway";

/**
 * Server TLS of the HTTPS port. The certificate lives in a Kubernetes Secret named by `credentialName`
 * (in the gateway's namespace): no TLS material passes through args, logs or state.
 */
export interface IngressTlsArgs {
    /** SIMPLE (server TLS) or MUTUAL (clients present certificates too). No default: say which. */
    mode: "SIMPLE" | "MUTUAL";
    /**
     * Name of the Secret holding the certificate (and CA for MUTUAL). Required: optional in the type only so
     * that callers passing config through get the validation error instead of a compile error.
     */
    credentialName?: string;
}

/** How an ingress serves: HTTPS (TLS, HTTP redirected to it) or plain HTTP only. */
export type IngressProtocol = "HTTPS" | "HTTP";

/** Arguments of {@link IngressGateway}. Every value accepts a `pulumi.Input`; known values are checked at construction, the rest when they resolve. */
export interface IngressGatewayArgs {
    /** Namespace of the Gateway and VirtualService. */
    namespace: pulumi.Input<string>;
    /** External hosts, e.g. ["sample-app.example.com"]. At least one. */
    hosts: DeepInput<string[]>;
    /** Gateway workload selector. Default `{ istio: "ingressgateway" }`. */
    selector?: DeepInput<Record<string, string>>;
    /**
     * `HTTPS` (default): an HTTPS server on `httpsPort` with `tls`, and `httpPort` redirecting to it. `HTTP`: one plain-HTTP
     * server on `httpPort`, no TLS (`tls` and `httpsPort` refused), e.g. for hosts `["*"]` behind a TLS-terminating load
     * balancer. Plain: it decides which servers exist.
     */
    protocol?: IngressProtocol;
    /** HTTPS server TLS. Required with protocol HTTPS, refused with HTTP. */
    tls?: DeepInput<IngressTlsArgs>;
    /** HTTP port: redirected to HTTPS, or with protocol HTTP the one port served. Default 80. */
    httpPort?: pulumi.Input<number>;
    /** HTTPS port. Default 443. Refused with protocol HTTP. */
    httpsPort?: pulumi.Input<number>;
    /**
     * Routes by URI prefix or exact path, first match wins: e.g. `/api` -> sample-app:8080, `/` -> sample-app-frontend:80.
     * A route with `routes` (a Canary's `httpRoutes`, an Output) becomes those routes under its prefix (or on its exact
     * path), named `route-<i>-<name>`.
     */
    routes: DeepInput<GatewayRouteArgs[]>;
    /** Extra labels on both objects. Default none. */
    labels?: DeepInput<Record<string, string>>;
}

export class IngressGateway extends pulumi.ComponentResource {
    /** The Gateway. */
    public readonly gateway: IstioResource<"Gateway">;
    /** The VirtualService bound to it. */
    public readonly virtualService: IstioResource<"VirtualService">;
    /** `<namespace>/<name>` of the Gateway, as VirtualServices reference it. */
    public readonly gatewayRef: pulumi.Output<string>;
    /** The external hosts. */
    public readonly hosts: pulumi.Output<string[]>;

    constructor(name: string, args: IngressGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, { token: INGRESS_GATEWAY_TOKEN, name, plan: (a: Plain<IngressGatewayArgs>) => planIngressGateway(name, a) });
        super(INGRESS_GATEWAY_TOKEN, name, {}, opts);
        planned.attach(this);
        this.hosts = planned.output((a) => [...a.hosts]);
        this.gatewayRef = planned.output((a) => `${a.namespace}/${name}`);
        const metadata = planned.map((a) => objectMeta(name, a.namespace, a.labels));
        this.gateway = new IstioResource(`${name}-gateway`, { kind: "Gateway", metadata, spec: planned.map((_, p) => p.gateway) }, { parent: this });
        this.virtualService = new IstioResource(
            `${name}-vs`,
            { kind: "VirtualService", metadata, spec: planned.map((_, p) => p.virtualService) },
            { parent: this, dependsOn: [this.gateway] },
        );
        this.registerOutputs({ gateway: this.gateway, virtualService: this.virtualService, gatewayRef: this.gatewayRef, hosts: this.hosts });
    }
}
