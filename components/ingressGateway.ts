/**
 * `IngressGateway`: an Istio Gateway (port 80 HTTP redirecting to HTTPS, port 443 HTTPS with an explicit
 * TLS mode and `credentialName`) and the VirtualService bound to it, routing URI prefixes to services.
 * Istio ignores the mesh VirtualService for gateway traffic (analyzer IST0140), so a route repeats the service's
 * split (`weights`) or, better, carries all of the service's routes under its prefix (`routes`: pins, A/B, faults,
 * retries, timeouts, the weighted catch-all), merged as istiod merges a delegate VirtualService.
 */
import * as pulumi from "@pulumi/pulumi";
import { planIngressGateway } from "./ingressGatewayPlan";
import { IstioResource } from "./istio/types";
import { objectMeta } from "./meta";
import { GatewayRouteArgs } from "./routes";
import { throwIfProblems } from "./meshValidationError";

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

/** Arguments of {@link IngressGateway}. */
export interface IngressGatewayArgs {
    /** Namespace of the Gateway and VirtualService. */
    namespace: string;
    /** External hosts, e.g. ["sample-app.example.com"]. At least one. */
    hosts: string[];
    /** Gateway workload selector. Default `{ istio: "ingressgateway" }`. */
    selector?: Record<string, string>;
    /** HTTPS server TLS. */
    tls: IngressTlsArgs;
    /** HTTP port, redirected to HTTPS. Default 80. */
    httpPort?: number;
    /** HTTPS port. Default 443. */
    httpsPort?: number;
    /**
     * Prefix routes, first match wins: e.g. `/api` -> sample-app:8080, `/` -> sample-app-frontend:80. A route with
     * `routes` (a Canary's `httpRoutes`) becomes those routes under its prefix, named `route-<i>-<name>`.
     */
    routes: GatewayRouteArgs[];
    /** Extra labels on both objects. Default none. */
    labels?: Record<string, string>;
}

export class IngressGateway extends pulumi.ComponentResource {
    /** The Gateway. */
    public readonly gateway: IstioResource<"Gateway">;
    /** The VirtualService bound to it. */
    public readonly virtualService: IstioResource<"VirtualService">;
    /** `<namespace>/<name>` of the Gateway, as VirtualServices reference it. */
    public readonly gatewayRef: string;
    /** The external hosts. */
    public readonly hosts: string[];

    constructor(name: string, args: IngressGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const plan = planIngressGateway(name, args);
        throwIfProblems(INGRESS_GATEWAY_TOKEN, name, plan.problems);
        super(INGRESS_GATEWAY_TOKEN, name, {}, opts);
        this.hosts = [...args.hosts];
        for (const w of plan.warnings) {
            void pulumi.log.warn(w, this);
        }
        this.gatewayRef = `${args.namespace}/${name}`;
        this.gateway = new IstioResource(
            `${name}-gateway`,
            { kind: "Gateway", metadata: objectMeta(name, args.namespace, args.labels), spec: plan.gateway },
            { parent: this },
        );
        this.virtualService = new IstioResource(
            `${name}-vs`,
            { kind: "VirtualService", metadata: objectMeta(name, args.namespace, args.labels), spec: plan.virtualService },
            { parent: this, dependsOn: [this.gateway] },
        );
        this.registerOutputs({ gateway: this.gateway, virtualService: this.virtualService, gatewayRef: this.gatewayRef, hosts: this.hosts });
    }
}
