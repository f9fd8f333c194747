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
import { DestinationRuleClaims } from "./destinationRuleClaims";
import { IstioResource } from "./istio/types";
import { objectMeta } from "./meta";
import { throwIfProblems } from "./meshValidationError";

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
