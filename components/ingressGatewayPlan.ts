/** What an {@link IngressGateway} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import type { Plain } from "./inputs";
import type { IngressGatewayArgs, IngressTlsArgs } from "./ingressGateway";
import type { GatewaySpec, VirtualServiceSpec } from "./istio/types";
import { checkGatewayRoutes, gatewayHttpRoutes, gatewayRouteWarnings } from "./routes";
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
