/**
 * `IngressGateway`: an Istio Gateway (port 80 HTTP redirecting to HTTPS, port 443 HTTPS with an explicit
 * TLS mode and `credentialName`) and the VirtualService bound to it, routing URI prefixes to services.
 * A service with a canary is weighted here too: Istio ignores mesh-VirtualService subsets for gateway
 * traffic (analyzer IST0140).
 */
import * as pulumi from "@pulumi/pulumi";
import { GatewaySpec, IstioResource, VirtualServiceSpec } from "./istio/types";
import { objectMeta } from "./meta";
import { checkGatewayRoutes, GatewayRouteArgs, gatewayHttpRoutes } from "./routes";
import { checkDnsLabel, checkHosts, checkNoControlChars, checkSelector, checkNonEmpty, checkPort, Problem, show, throwIfProblems } from "./validation";

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
    /** Prefix routes, first match wins: e.g. `/api` -> sample-app:8080, `/` -> sample-app-frontend:80. */
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

/** Pure: validates IngressGatewayArgs and computes the Gateway and VirtualService specs. */
export function planIngressGateway(name: string, args: IngressGatewayArgs): { problems: Problem[]; gateway: GatewaySpec; virtualService: VirtualServiceSpec } {
    const httpPort = args.httpPort ?? 80;
    const httpsPort = args.httpsPort ?? 443;
    const problems: Problem[] = [
        ...checkSelector("selector", args.selector, "istio: ingressgateway"),
        ...Object.entries(args.selector ?? {}).flatMap(([k, v]) => [...checkNoControlChars(`selector.${k}`, k), ...checkNoControlChars(`selector.${k}`, v)]),
        ...checkDnsLabel("name", name),
        ...checkDnsLabel("namespace", args.namespace),
        ...checkHosts("hosts", args.hosts, true),
        ...checkPort("httpPort", httpPort),
        ...checkPort("httpsPort", httpsPort),
        ...checkGatewayRoutes("routes", args.routes),
    ];
    if (args.tls.mode !== "SIMPLE" && args.tls.mode !== "MUTUAL") {
        problems.push({ propertyPath: "tls.mode", reason: `tls.mode is ${show(args.tls.mode)}; it must be SIMPLE or MUTUAL` });
    }
    if (args.tls.credentialName === undefined || args.tls.credentialName.length === 0) {
        problems.push({
            propertyPath: "tls.credentialName",
            reason: `tls.credentialName is ${args.tls.credentialName === undefined ? "missing" : show(args.tls.credentialName)}; ${args.tls.mode} TLS needs the name of the Secret with the certificate, such as "sample-app-tls"`,
        });
    } else {
        problems.push(...checkNonEmpty("tls.credentialName", args.tls.credentialName));
    }
    if (httpPort === httpsPort) {
        problems.push({ propertyPath: "httpsPort", reason: `httpsPort is ${httpsPort}, the same as httpPort; use two different ports` });
    }
    const hosts = [...args.hosts];
    const gateway: GatewaySpec = {
        selector: { ...(args.selector ?? { istio: "ingressgateway" }) },
        servers: [
            { port: { number: httpPort, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
            {
                port: { number: httpsPort, name: "https", protocol: "HTTPS" },
                hosts,
                tls: { mode: args.tls.mode, credentialName: args.tls.credentialName },
            },
        ],
    };
    const virtualService: VirtualServiceSpec = { hosts, gateways: [`${args.namespace}/${name}`], http: gatewayHttpRoutes(args.routes) };
    return { problems, gateway, virtualService };
}
