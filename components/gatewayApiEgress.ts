/**
 * `GatewayApiEgress`: the egress gateway with the Gateway API (plan: gatewayApiEgressPlan.ts): per external host a
 * ServiceEntry and two TLSRoutes (mesh -> the egress Gateway's Service, the Gateway's listener -> the host), one
 * Gateway of class `istio` with a TLS passthrough listener per host, and the REGISTRY_ONLY Sidecar when asked for.
 */
import * as pulumi from "@pulumi/pulumi";
import { registryOnlySidecar } from "./egressGateway";
import { GatewayApiResource } from "./gatewayApi/types";
import { GATEWAY_API_EGRESS_TOKEN, ISTIO_SERVICE_TYPE, planGatewayApiEgress, type GatewayApiEgressArgs } from "./gatewayApiEgressPlan";
import { skipAwaitAnnotations } from "./gatewayApiPlan";
import { IstioResource } from "./istio/types";
import { itemOf, PlannedArgs, type Plain } from "./inputs";
import { objectMeta } from "./meta";
import { reusePlan } from "./planOnce";

export class GatewayApiEgress extends pulumi.ComponentResource {
    /** The egress Gateway (class istio, TLS passthrough listeners). */
    public readonly gateway: GatewayApiResource<"Gateway">;
    /** One ServiceEntry per external host. */
    public readonly serviceEntries: IstioResource<"ServiceEntry">[];
    /** Two TLSRoutes per external host: the mesh's to the gateway, the gateway's to the host. */
    public readonly tlsRoutes: GatewayApiResource<"TLSRoute">[];
    /** The REGISTRY_ONLY Sidecar, when asked for. */
    public readonly sidecar: IstioResource<"Sidecar"> | undefined;
    /** The external hosts. */
    public readonly hosts: string[];

    constructor(name: string, args: GatewayApiEgressArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, {
            token: GATEWAY_API_EGRESS_TOKEN,
            name,
            plan: (a: Plain<GatewayApiEgressArgs>) => reusePlan(planGatewayApiEgress, a, name),
            structural: ["hosts[].host", "registryOnly"],
        });
        super(GATEWAY_API_EGRESS_TOKEN, name, {}, opts);
        planned.attach(this);
        const shape = planned.shape;
        const meta = (objectName: string, annotations: Record<string, string> = {}) =>
            planned.map((a) => ({ ...objectMeta(objectName, a.namespace, a.labels), annotations: { ...annotations, ...skipAwaitAnnotations(a.skipAwait) } }));
        this.hosts = args.hosts.map((h) => h.host);
        this.gateway = new GatewayApiResource(
            `${name}-gateway`,
            // A ClusterIP Service: the egress gateway is reached from the mesh only (Istio's egress task does so).
            { kind: "Gateway", metadata: meta(name, { [ISTIO_SERVICE_TYPE]: "ClusterIP" }), spec: planned.map((_, p) => p.gateway) },
            { parent: this },
        );
        this.serviceEntries = shape.serviceEntries.map(
            (se, i) =>
                new IstioResource(
                    `${se.name}-se`,
                    { kind: "ServiceEntry", metadata: meta(se.name), spec: planned.map((_, p) => itemOf(p.serviceEntries, i, "serviceEntries").spec) },
                    { parent: this },
                ),
        );
        this.tlsRoutes = shape.tlsRoutes.map(
            (r, i) =>
                new GatewayApiResource(
                    `${r.name}-tlsroute`,
                    { kind: "TLSRoute", metadata: meta(r.name), spec: planned.map((_, p) => itemOf(p.tlsRoutes, i, "tlsRoutes").spec) },
                    { parent: this, dependsOn: [this.gateway, ...this.serviceEntries] },
                ),
        );
        this.sidecar = registryOnlySidecar(name, args.registryOnly, meta("default"), planned.map((_, p) => p.sidecar), this);
        this.registerOutputs({ gateway: this.gateway, serviceEntries: this.serviceEntries, tlsRoutes: this.tlsRoutes, sidecar: this.sidecar, hosts: this.hosts });
    }
}
