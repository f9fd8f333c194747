/** What an {@link IngressGateway} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import type { DeepInput, Plain } from "./inputs";
import type { GatewaySpec, VirtualServiceSpec } from "./istio/types";
import { checkGatewayRoutes, gatewayHttpRoutes, gatewayRouteWarnings, type GatewayRouteArgs } from "./routes";
import { checkDnsLabel, checkHosts, checkNonEmpty, checkPort, checkSelector, show, type Problem } from "./validation";

/** A plain-HTTP ingress (`protocol: "HTTP"`) has no TLS: `tls` and `httpsPort` given anyway are refused, not ignored. */
export function checkPlainHttp(args: Pick<Plain<IngressGatewayArgs>, "tls" | "httpsPort">): Problem[] {
    const out: Problem[] = [];
    if (args.tls !== undefined) {
        out.push({ propertyPath: "tls", code: "plain-http-tls", reason: `tls is ${show(args.tls)}, but protocol is HTTP; a plain-HTTP ingress serves no TLS: remove tls, or set protocol HTTPS` });
    }
    if (args.httpsPort !== undefined) {
        out.push({ propertyPath: "httpsPort", code: "plain-http-https-port", reason: `httpsPort is ${show(args.httpsPort)}, but protocol is HTTP; a plain-HTTP ingress serves httpPort only: remove httpsPort, or set protocol HTTPS` });
    }
    return out;
}

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
    namespace: DeepInput<string>;
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
    httpPort?: DeepInput<number>;
    /** HTTPS port. Default 443. Refused with protocol HTTP. */
    httpsPort?: DeepInput<number>;
    /**
     * Routes by URI prefix or exact path, first match wins: e.g. `/api` -> sample-app:8080, `/` -> sample-app-frontend:80.
     * A route with `routes` (a Canary's `httpRoutes`, an Output) becomes those routes under its prefix (or on its exact
     * path), named `route-<i>-<name>`.
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
    const protocol = args.protocol ?? "HTTPS";
    const httpPort = args.httpPort ?? 80;
    const httpsPort = args.httpsPort ?? 443;
    const problems: Problem[] = [
        ...checkSelector("selector", args.selector, "istio: ingressgateway"),
        ...checkDnsLabel("name", name),
        ...checkDnsLabel("namespace", args.namespace),
        ...checkHosts("hosts", args.hosts, true),
        ...checkPort("httpPort", httpPort),
        ...(protocol === "HTTP" ? [] : checkPort("httpsPort", httpsPort)),
        ...checkGatewayRoutes("routes", args.routes),
    ];
    const hosts = [...args.hosts];
    const selector = { ...(args.selector ?? { istio: "ingressgateway" }) };
    if (protocol === "HTTP") {
        problems.push(...checkPlainHttp(args));
        const gateway: GatewaySpec = { selector, servers: [{ port: { number: httpPort, name: "http", protocol: "HTTP" }, hosts }] };
        const virtualService: VirtualServiceSpec = { hosts, gateways: [`${args.namespace}/${name}`], http: gatewayHttpRoutes(args.routes) };
        return { problems, warnings: gatewayRouteWarnings("routes", args.routes), gateway, virtualService };
    }
    if (protocol !== "HTTPS") {
        problems.push({ propertyPath: "protocol", reason: `protocol is ${show(protocol)}; it must be HTTPS or HTTP` });
    }
    const tls: Partial<IngressTlsArgs> = args.tls ?? {};
    if (args.tls === undefined) {
        problems.push({ propertyPath: "tls", reason: 'tls is missing; an HTTPS ingress terminates TLS: set tls { mode: "SIMPLE", credentialName: "<secret>" }, or protocol "HTTP"' });
    } else {
        if (tls.mode !== "SIMPLE" && tls.mode !== "MUTUAL") {
            problems.push({ propertyPath: "tls.mode", reason: `tls.mode is ${show(tls.mode)}; it must be SIMPLE or MUTUAL` });
        }
        if (tls.credentialName === undefined || tls.credentialName.length === 0) {
            problems.push({
                propertyPath: "tls.credentialName",
                reason: `tls.credentialName is ${tls.credentialName === undefined ? "missing" : show(tls.credentialName)}; ${tls.mode} TLS needs the name of the Secret with the certificate, such as "sample-app-tls"`,
            });
        } else {
            problems.push(...checkNonEmpty("tls.credentialName", tls.credentialName));
        }
    }
    if (httpPort === httpsPort) {
        problems.push({ propertyPath: "httpsPort", reason: `httpsPort is ${httpsPort}, the same as httpPort; use two different ports` });
    }
    const gateway: GatewaySpec = {
        selector,
        servers: [
            { port: { number: httpPort, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
            {
                port: { number: httpsPort, name: "https", protocol: "HTTPS" },
                hosts,
                // planned only with a mode (a missing one is refused above)
                tls: { mode: tls.mode ?? "SIMPLE", credentialName: tls.credentialName },
            },
        ],
    };
    const virtualService: VirtualServiceSpec = { hosts, gateways: [`${args.namespace}/${name}`], http: gatewayHttpRoutes(args.routes) };
    return { problems, warnings: gatewayRouteWarnings("routes", args.routes), gateway, virtualService };
}
