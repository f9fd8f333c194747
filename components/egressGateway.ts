/**
 * `EgressGateway`: Istio's TLS-passthrough egress recipe ("Egress Gateways", HTTPS traffic), per external
 * host: a ServiceEntry (MESH_EXTERNAL, DNS, TLS port), a VirtualService whose `tls` routes send SNI
 * traffic mesh -> egress gateway (gateways: [mesh]) and egress gateway -> external host; shared by all
 * hosts: one egress Gateway (PASSTHROUGH, selector istio: egressgateway) and one DestinationRule with a
 * subset for the egress gateway service. Optionally a namespace Sidecar with
 * `outboundTrafficPolicy.mode: REGISTRY_ONLY`, so only registered hosts are reachable.
 */
import * as pulumi from "@pulumi/pulumi";
import { EGRESS_GATEWAY_TOKEN, hostSlug, planEgressGateway } from "./egressGatewayPlan";
import { IstioResource, type SidecarSpec } from "./istio/types";
import { objectMeta, type ObjectMeta } from "./meta";
import { itemOf, PlannedArgs, type Plain } from "./inputs";
import { reusePlan } from "./planOnce";
import type { EgressGatewayArgs } from "./egressGatewayPlan";
export type { ExternalHostArgs, EgressGatewayArgs } from "./egressGatewayPlan";

/**
 * The namespace Sidecar `default` with REGISTRY_ONLY of an egress component (Istio's or the Gateway API's; `registryOnly`
 * is plain: it decides whether the Sidecar exists), or undefined when not asked for.
 */
export function registryOnlySidecar(
    name: string,
    registryOnly: boolean | undefined,
    metadata: pulumi.Input<ObjectMeta>,
    spec: pulumi.Input<SidecarSpec | undefined>,
    parent: pulumi.Resource,
): IstioResource<"Sidecar"> | undefined {
    if (registryOnly !== true) return undefined;
    const made = (s: SidecarSpec | undefined): SidecarSpec => {
        if (s === undefined) throw new Error(`${name}: registryOnly is true but the plan made no Sidecar`);
        return s;
    };
    const planned = pulumi.output(spec).apply(made);
    return new IstioResource(`${name}-sidecar`, { kind: "Sidecar", metadata, spec: planned }, { parent });
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
        const planned = PlannedArgs.check(args, {
            token: EGRESS_GATEWAY_TOKEN,
            name,
            plan: (a: Plain<EgressGatewayArgs>) => reusePlan(planEgressGateway, a, name),
            structural: ["hosts[].host", "registryOnly"],
            claims: true,
        });
        super(EGRESS_GATEWAY_TOKEN, name, {}, opts);
        planned.attach(this);
        const shape = planned.shape;
        const meta = (objectName: string) => planned.map((a) => objectMeta(objectName, a.namespace, a.labels));
        this.hosts = args.hosts.map((h) => h.host);
        this.gateway = new IstioResource(`${name}-gateway`, { kind: "Gateway", metadata: meta(name), spec: planned.map((_, p) => p.gateway) }, { parent: this });
        this.destinationRule = new IstioResource(
            `${name}-dr`,
            { kind: "DestinationRule", metadata: meta(`${name}-egressgateway`), spec: planned.map((_, p) => p.destinationRule) },
            { parent: this },
        );
        this.serviceEntries = shape.serviceEntries.map(
            (se, i) =>
                new IstioResource(
                    `${name}-se-${hostSlug(se.host)}`,
                    { kind: "ServiceEntry", metadata: meta(`${name}-${hostSlug(se.host)}`), spec: planned.map((_, p) => itemOf(p.serviceEntries, i, "serviceEntries").spec) },
                    { parent: this },
                ),
        );
        this.virtualServices = shape.virtualServices.map(
            (vs, i) =>
                new IstioResource(
                    `${name}-vs-${hostSlug(vs.host)}`,
                    { kind: "VirtualService", metadata: meta(`${name}-${hostSlug(vs.host)}`), spec: planned.map((_, p) => itemOf(p.virtualServices, i, "virtualServices").spec) },
                    { parent: this, dependsOn: [this.gateway, this.destinationRule, ...this.serviceEntries] },
                ),
        );
        this.sidecar = registryOnlySidecar(name, args.registryOnly, meta("default"), planned.map((_, p) => p.sidecar), this);
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
