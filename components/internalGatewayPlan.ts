/** What an {@link InternalGateway} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import type { DeepInput, Plain } from "./inputs";
import type { GatewaySpec, VirtualServiceSpec } from "./istio/types";
import { checkGatewayRoutes, gatewayHttpRoutes, gatewayRouteWarnings, type GatewayRouteArgs } from "./routes";
import { checkDnsLabel, checkHosts, checkPort, checkSelector, type Problem } from "./validation";

/** Arguments of {@link InternalGateway}. Every value accepts a `pulumi.Input`, but the list of `routes` (it decides whether the VirtualService exists). */
export interface InternalGatewayArgs {
    /** Namespace of the Gateway (and VirtualService). */
    namespace: DeepInput<string>;
    /** Hosts the gateway serves, e.g. ["*.team-a.svc.cluster.local"]. At least one. */
    hosts: DeepInput<string[]>;
    /** Gateway workload selector. Default `{ istio: "internalgateway" }`. */
    selector?: DeepInput<Record<string, string>>;
    /** HTTP port. Default 80. */
    port?: DeepInput<number>;
    /** Prefix routes of a bound VirtualService; absent or empty = Gateway only. A plain list; each route accepts Inputs. */
    routes?: DeepInput<GatewayRouteArgs>[];
    /** Extra labels. Default none. */
    labels?: DeepInput<Record<string, string>>;
}

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
