/**
 * `EgressGateway`: Istio's TLS-passthrough egress recipe ("Egress Gateways", HTTPS traffic), per external
 * host: a ServiceEntry (MESH_EXTERNAL, DNS, TLS port), a VirtualService whose `tls` routes send SNI
 * traffic mesh -> egress gateway (gateways: [mesh]) and egress gateway -> external host; shared by all
 * hosts: one egress Gateway (PASSTHROUGH, selector istio: egressgateway) and one DestinationRule with a
 * subset for the egress gateway service. Optionally a namespace Sidecar with
 * `outboundTrafficPolicy.mode: REGISTRY_ONLY`, so only registered hosts are reachable.
 */
import * as pulumi from "@pulumi/pulumi";
import { DestinationRuleClaims } from "./destinationRuleClaims";
import { DestinationRuleSpec, GatewaySpec, IstioResource, ServiceEntrySpec, SidecarSpec, VirtualServiceSpec } from "./istio/types";
import { objectMeta } from "./meta";
import { checkDnsLabel, checkHosts, checkNoControlChars, checkSelector, checkPort, checkUnique, Problem, show, throwIfProblems } from "./validation";

export const EGRESS_GATEWAY_TOKEN = "mesh-traffic:index:EgressGateway";

/** One external host reached through the egress gateway (TLS passthrough: the app speaks TLS itself). */
export interface ExternalHostArgs {
    /** DNS name, e.g. "api.external-service.com". No wildcard: DNS resolution needs a real name. */
    host: string;
    /** TLS port, 1..65535. Default 443. */
    port?: number;
}

/** Arguments of {@link EgressGateway}. */
export interface EgressGatewayArgs {
    /** Namespace of every object. */
    namespace: string;
    /** External hosts. At least one. */
    hosts: ExternalHostArgs[];
    /** Egress gateway workload selector. Default `{ istio: "egressgateway" }`. */
    selector?: Record<string, string>;
    /** The egress gateway's Service host. Default "istio-egressgateway.istio-system.svc.cluster.local". */
    gatewayService?: string;
    /** Emit a namespace Sidecar with outboundTrafficPolicy REGISTRY_ONLY. Default false. */
    registryOnly?: boolean;
    /** The one-DestinationRule-per-host registry (for the egress gateway's DR). Default {@link DestinationRuleClaims.global}. */
    claims?: DestinationRuleClaims;
    /** Extra labels. Default none. */
    labels?: Record<string, string>;
}

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
export function planEgressGateway(name: string, args: EgressGatewayArgs): EgressPlan {
    const gatewayService = args.gatewayService ?? DEFAULT_EGRESS_SERVICE;
    const hostNames = args.hosts.map((h) => h.host);
    const problems: Problem[] = [
        ...checkSelector("selector", args.selector, "istio: egressgateway"),
        ...Object.entries(args.selector ?? {}).flatMap(([k, v]) => [...checkNoControlChars(`selector.${k}`, k), ...checkNoControlChars(`selector.${k}`, v)]),
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

export class EgressGateway extends pulumi.ComponentResource {
    /** The egress Gateway (PASSTHROUGH). */
    public readonly gateway: IstioResource<"Gateway">;
    /** The DestinationRule with the egress gateway subset. */
    public readonly destinationRule: IstioResource<"DestinationRule">;
    /** One ServiceEntry per external host. */
    public readonly serviceEntries: IstioResource<"ServiceEntry">[];
    /** One VirtualService per external host. */
    public readonly virtualServices: IstioResource<"VirtualService">[];
    /** The REGISTRY_ONLY Sidecar, when asked for. */
    public readonly sidecar: IstioResource<"Sidecar"> | undefined;
    /** The external hosts. */
    public readonly hosts: string[];

    constructor(name: string, args: EgressGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const plan = planEgressGateway(name, args);
        throwIfProblems(EGRESS_GATEWAY_TOKEN, name, plan.problems);
        super(EGRESS_GATEWAY_TOKEN, name, {}, opts);
        const ns = args.namespace;
        this.hosts = args.hosts.map((h) => h.host);
        this.gateway = new IstioResource(`${name}-gateway`, { kind: "Gateway", metadata: objectMeta(name, ns, args.labels), spec: plan.gateway }, { parent: this });
        this.destinationRule = new IstioResource(
            `${name}-dr`,
            { kind: "DestinationRule", metadata: objectMeta(`${name}-egressgateway`, ns, args.labels), spec: plan.destinationRule },
            { parent: this },
        );
        this.serviceEntries = plan.serviceEntries.map(
            (se) =>
                new IstioResource(
                    `${name}-se-${hostSlug(se.host)}`,
                    { kind: "ServiceEntry", metadata: objectMeta(`${name}-${hostSlug(se.host)}`, ns, args.labels), spec: se.spec },
                    { parent: this },
                ),
        );
        this.virtualServices = plan.virtualServices.map(
            (vs) =>
                new IstioResource(
                    `${name}-vs-${hostSlug(vs.host)}`,
                    { kind: "VirtualService", metadata: objectMeta(`${name}-${hostSlug(vs.host)}`, ns, args.labels), spec: vs.spec },
                    { parent: this, dependsOn: [this.gateway, this.destinationRule, ...this.serviceEntries] },
                ),
        );
        this.sidecar =
            plan.sidecar === undefined
                ? undefined
                : new IstioResource(`${name}-sidecar`, { kind: "Sidecar", metadata: objectMeta("default", ns, args.labels), spec: plan.sidecar }, { parent: this });
        this.registerOutputs({
            gateway: this.gateway,
            destinationRule: this.destinationRule,
            serviceEntries: this.serviceEntries,
            virtualServices: this.virtualServices,
            sidecar: this.sidecar,
            hosts: this.hosts,
        });
    }
}
