/** What an {@link IngressGateway} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import type { DeepInput, Plain } from "./inputs";
import type { GatewaySpec, VirtualServiceSpec } from "./istio/types";
import { checkGatewayRoutes, gatewayHttpRoutes, gatewayRouteWarnings, type GatewayRouteArgs } from "./routes";
import { checkDnsLabel, checkHosts, checkNonEmpty, checkPort, checkSelector, show, type Problem } from "./validation";

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

/** Arguments of {@link IngressGateway}. Every value accepts a `pulumi.Input`; known values are checked at construction, the rest when they resolve. */
export interface IngressGatewayArgs {
    /** Namespace of the Gateway and VirtualService. */
    namespace: DeepInput<string>;
    /** External hosts, e.g. ["sample-app.example.com"]. At least one. */
    hosts: DeepInput<string[]>;
    /** Gateway workload selector. Default `{ istio: "ingressgateway" }`. */
    selector?: DeepInput<Record<string, string>>;
    /** HTTPS server TLS. */
    tls: DeepInput<IngressTlsArgs>;
    /** HTTP port, redirected to HTTPS. Default 80. */
    httpPort?: DeepInput<number>;
    /** HTTPS port. Default 443. */
    httpsPort?: DeepInput<number>;
    /**
     * Prefix routes, first match wins: e.g. `/api` -> sample-app:8080, `/` -> sample-app-frontend:80. A route with
     * `routes` (a Canary's `httpRoutes`, an Output) becomes those routes under its prefix, named `route-<i>-<name>`.
     */
    routes: DeepInput<GatewayRouteArgs[]>;
    /** Extra labels on both objects. Default none. */
    labels?: DeepInput<Record<string, string>>;
}

/**
 * Pure: validates IngressGatewayArgs and computes the Gateway and VirtualService specs; `warnings`: each carried
 * service route no request through its gateway route can reach (left out of the VirtualService).
 */
export function planIngressGateway(
    name: string,
    args: Plain<IngressGatewayArgs>,
): { problems: Problem[]; warnings: string[]; gateway: GatewaySpec; virtualService: VirtualServiceSpec } {
    const httpPort = args.httpPort ?? 80;
    const httpsPort = args.httpsPort ?? 443;
    const problems: Problem[] = [
        ...checkSelector("selector", args.selector, "istio: ingressgateway"),
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
    return { problems, warnings: gatewayRouteWarnings("routes", args.routes), gateway, virtualService };
}
