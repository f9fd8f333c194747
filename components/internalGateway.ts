/**
 * `InternalGateway`: an HTTP Gateway for traffic between namespaces (hosts like `*.ns.svc.cluster.local`)
 * and, when routes are given, the VirtualService bound to it.
 */
import * as pulumi from "@pulumi/pulumi";
import { GatewaySpec, IstioResource, VirtualServiceSpec } from "./istio/types";
import { objectMeta } from "./meta";
import { checkGatewayRoutes, GatewayRouteArgs, gatewayHttpRoutes } from "./routes";
import { checkDnsLabel, checkHosts, checkNoControlChars, checkSelector, checkPort, Problem, throwIfProblems } from "./validation";

export const INTERNAL_GATEWAY_TOKEN = "mesh-traffic:index:InternalGateway";

/** Arguments of {@link InternalGateway}. */
export interface InternalGatewayArgs {
    /** Namespace of the Gateway (and VirtualService). */
    namespace: string;
    /** Hosts the gateway serves, e.g. ["*.team-a.svc.cluster.local"]. At least one. */
    hosts: string[];
    /** Gateway workload selector. Default `{ istio: "internalgateway" }`. */
    selector?: Record<string, string>;
    /** HTTP port. Default 80. */
    port?: number;
    /** Prefix routes of a bound VirtualService; absent or empty = Gateway only. */
    routes?: GatewayRouteArgs[];
    /** Extra labels. Default none. */
    labels?: Record<string, string>;
}

export class InternalGateway extends pulumi.ComponentResource {
    /** The Gateway. */
    public readonly gateway: IstioResource<"Gateway">;
    /** The bound VirtualService, when routes were given. */
    public readonly virtualService: IstioResource<"VirtualService"> | undefined;
    /** `<namespace>/<name>` of the Gateway. */
    public readonly gatewayRef: string;
    /** The hosts. */
    public readonly hosts: string[];

    constructor(name: string, args: InternalGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const plan = planInternalGateway(name, args);
        throwIfProblems(INTERNAL_GATEWAY_TOKEN, name, plan.problems);
        super(INTERNAL_GATEWAY_TOKEN, name, {}, opts);
        this.hosts = [...args.hosts];
        this.gatewayRef = `${args.namespace}/${name}`;
        this.gateway = new IstioResource(
            `${name}-gateway`,
            { kind: "Gateway", metadata: objectMeta(name, args.namespace, args.labels), spec: plan.gateway },
            { parent: this },
        );
        this.virtualService =
            plan.virtualService === undefined
                ? undefined
                : new IstioResource(
                      `${name}-vs`,
                      { kind: "VirtualService", metadata: objectMeta(name, args.namespace, args.labels), spec: plan.virtualService },
                      { parent: this, dependsOn: [this.gateway] },
                  );
        this.registerOutputs({ gateway: this.gateway, virtualService: this.virtualService, gatewayRef: this.gatewayRef, hosts: this.hosts });
    }
}

/** Pure: validates InternalGatewayArgs and computes the specs. */
export function planInternalGateway(
    name: string,
    args: InternalGatewayArgs,
): { problems: Problem[]; gateway: GatewaySpec; virtualService: VirtualServiceSpec | undefined } {
    const port = args.port ?? 80;
    const routes = args.routes ?? [];
    const problems: Problem[] = [
        ...checkSelector("selector", args.selector, "istio: internalgateway"),
        ...Object.entries(args.selector ?? {}).flatMap(([k, v]) => [...checkNoControlChars(`selector.${k}`, k), ...checkNoControlChars(`selector.${k}`, v)]),
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
    return { problems, gateway, virtualService };
}
