/** What an {@link InternalGateway} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import type { Plain } from "./inputs";
import type { InternalGatewayArgs } from "./internalGateway";
import type { GatewaySpec, VirtualServiceSpec } from "./istio/types";
import { checkGatewayRoutes, gatewayHttpRoutes, gatewayRouteWarnings } from "./routes";
import { checkDnsLabel, checkHosts, checkPort, checkSelector, type Problem } from "./validation";

/** Pure: validates InternalGatewayArgs and computes the specs; `warnings` as planIngressGateway's. */
export function planInternalGateway(
    name: string,
    args: Plain<InternalGatewayArgs>,
): { problems: Problem[]; warnings: string[]; gateway: GatewaySpec; virtualService: VirtualServiceSpec | undefined } {
    const port = args.port ?? 80;
    const routes = args.routes ?? [];
    const problems: Problem[] = [
        ...checkSelector("selector", args.selector, "istio: internalgateway"),
        ...checkDnsLabel("name", name),
        ...checkDnsLabel("namespace", args.namespace),
        ...checkHosts("hosts", args.hosts, false),
        ...checkPort("port", port),
        ...(routes.length > 0 ? checkGatewayRoutes("routes", routes) : []),
    ];
    const hosts = [...args.hosts];
    const gateway: GatewaySpec = {
        selector: { ...(args.selector ?? { istio: "internalgateway" }) },
        servers: [{ port: { number: port, name: "http", protocol: "HTTP" }, hosts }],
    };
    const virtualService = routes.length > 0 ? { hosts, gateways: [`${args.namespace}/${name}`], http: gatewayHttpRoutes(routes) } : undefined;
    return { problems, warnings: gatewayRouteWarnings("routes", routes), gateway, virtualService };
}
