/** What an {@link EgressGateway} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import { DestinationRuleClaims } from "./destinationRuleClaims";
import type { DeepInput, Plain } from "./inputs";
import type { DestinationRuleSpec, GatewaySpec, ServiceEntrySpec, SidecarSpec, VirtualServiceSpec } from "./istio/types";
import { checkDnsLabel, checkHosts, checkPort, checkSelector, checkUnique, show, type Problem } from "./validation";

/** One external host reached through the egress gateway (TLS passthrough: the app speaks TLS itself). */
export interface ExternalHostArgs {
    /** DNS name, e.g. "api.external-service.com". No wildcard: DNS resolution needs a real name. Plain: it names the host's ServiceEntry and VirtualService. */
    host: string;
    /** TLS port, 1..65535. Default 443. */
    port?: DeepInput<number>;
}

/**
 * Arguments of {@link EgressGateway}. Every value accepts a `pulumi.Input` but the hosts (plain: each names its
 * objects) and `registryOnly` (it decides whether the Sidecar exists).
 */
export interface EgressGatewayArgs {
    /** Namespace of every object. */
    namespace: DeepInput<string>;
    /** External hosts. At least one. */
    hosts: ExternalHostArgs[];
    /** Egress gateway workload selector. Default `{ istio: "egressgateway" }`. */
    selector?: DeepInput<Record<string, string>>;
    /** The egress gateway's Service host. Default "istio-egressgateway.istio-system.svc.cluster.local". */
    gatewayService?: DeepInput<string>;
    /** Emit a namespace Sidecar with outboundTrafficPolicy REGISTRY_ONLY. Default false. */
    registryOnly?: boolean;
    /** The one-DestinationRule-per-host registry (for the egress gateway's DR; plain: a registry, not a value). Default {@link DestinationRuleClaims.global}. */
    claims?: DestinationRuleClaims;
    /** Extra labels. Default none. */
    labels?: DeepInput<Record<string, string>>;
}

export const EGRESS_GATEWAY_TOKEN = "mesh-traffic:index:EgressGateway";

/** Everything an EgressGateway emits, computed without creating anything. */
export interface EgressPlan {
    problems: Problem[];
    gateway: GatewaySpec;
    destinationRule: DestinationRuleSpec;
    serviceEntries: Array<{ host: string; spec: ServiceEntrySpec }>;
    virtualServices: Array<{ host: string; spec: VirtualServiceSpec }>;
    sidecar: SidecarSpec | undefined;
}

export const EGRESS_SUBSET = "external";
const DEFAULT_EGRESS_SERVICE = "istio-egressgateway.istio-system.svc.cluster.local";

/** Pure: validates EgressGatewayArgs and computes every spec. */
export function planEgressGateway(name: string, args: Plain<EgressGatewayArgs>): EgressPlan {
    const gatewayService = args.gatewayService ?? DEFAULT_EGRESS_SERVICE;
    const hostNames = args.hosts.map((h) => h.host);
    const problems: Problem[] = [
        ...checkSelector("selector", args.selector, "istio: egressgateway"),
        ...checkDnsLabel("name", name),
        ...checkDnsLabel("namespace", args.namespace),
        ...checkHosts("gatewayService", [gatewayService], false).map((p) => ({ ...p, propertyPath: "gatewayService", reason: p.reason.replace("gatewayService[0]", "gatewayService") })),
    ];
    if (args.hosts.length === 0) {
        problems.push(...checkHosts("hosts", [], false));
    }
    args.hosts.forEach((h, i) => {
        problems.push(...checkHosts(`hosts[${i}].host`, [h.host], false).map((p) => ({ ...p, propertyPath: `hosts[${i}].host`, reason: p.reason.replace(`hosts[${i}].host[0]`, `hosts[${i}].host`) })));
        if (h.host.startsWith("*")) {
            problems.push({ propertyPath: `hosts[${i}].host`, reason: `hosts[${i}].host is ${show(h.host)}; it must be a DNS name without wildcard (resolution DNS needs a real name)` });
        }
        problems.push(...checkPort(`hosts[${i}].port`, h.port));
    });
    problems.push(...checkUnique("hosts", hostNames, "external host"));
    if (problems.length === 0) {
        const claims = args.claims ?? DestinationRuleClaims.global;
        problems.push(...claims.claim(gatewayService, args.namespace, `${EGRESS_GATEWAY_TOKEN} ${JSON.stringify(name)}`, "gatewayService"));
    }

    const gatewayRef = `${args.namespace}/${name}`;
    const ports = [...new Set(args.hosts.map((h) => h.port ?? 443))];
    const gateway: GatewaySpec = {
        selector: { ...(args.selector ?? { istio: "egressgateway" }) },
        servers: ports.map((port) => ({
            port: { number: port, name: `tls-${port}`, protocol: "TLS" },
            hosts: args.hosts.filter((h) => (h.port ?? 443) === port).map((h) => h.host),
            tls: { mode: "PASSTHROUGH" },
        })),
    };
    const destinationRule: DestinationRuleSpec = { host: gatewayService, subsets: [{ name: EGRESS_SUBSET }] };
    const serviceEntries = args.hosts.map((h) => {
        const port = h.port ?? 443;
        const spec: ServiceEntrySpec = {
            hosts: [h.host],
            ports: [{ number: port, name: `tls-${port}`, protocol: "TLS" }],
            location: "MESH_EXTERNAL",
            resolution: "DNS",
        };
        return { host: h.host, spec };
    });
    const virtualServices = args.hosts.map((h) => {
        const port = h.port ?? 443;
        const spec: VirtualServiceSpec = {
            hosts: [h.host],
            gateways: ["mesh", gatewayRef],
            tls: [
                {
                    match: [{ gateways: ["mesh"], port, sniHosts: [h.host] }],
                    route: [{ destination: { host: gatewayService, subset: EGRESS_SUBSET, port: { number: port } } }],
                },
                {
                    match: [{ gateways: [gatewayRef], port, sniHosts: [h.host] }],
                    route: [{ destination: { host: h.host, port: { number: port } } }],
                },
            ],
        };
        return { host: h.host, spec };
    });
    const sidecar: SidecarSpec | undefined = args.registryOnly === true ? { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } } : undefined;
    return { problems, gateway, destinationRule, serviceEntries, virtualServices, sidecar };
}

/** A child-name-safe form of a DNS name ("api.example.com" -> "api-example-com"). */
export function hostSlug(host: string): string {
    return host.replace(/[^a-z0-9-]/g, "-");
}
