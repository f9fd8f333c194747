/** What an {@link IngressGateway} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import type { Plain } from "./inputs";
import type { IngressGatewayArgs } from "./ingressGateway";
import type { GatewaySpec, VirtualServiceSpec } from "./istio/types";
import { checkGatewayRoutes, gatewayHttpRoutes, gatewayRouteWarnings } from "./routes";
import { checkDnsLabel, checkHosts, checkNonEmpty, checkPort, checkSelector, show, type Problem } from "./validation";

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
