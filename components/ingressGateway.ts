/**
 * `IngressGateway`: an Istio Gateway (port 80 HTTP redirecting to HTTPS, port 443 HTTPS with an explicit
 * TLS mode and `credentialName`; or, with `protocol: "HTTP"`, port 80 plain HTTP only) and the VirtualService bound to
 * it, routing URI prefixes and exact paths to services.
 * Istio ignores the mesh VirtualService for gateway traffic (analyzer IST0140), so a route repeats the service's
 * split (`weights`) or, better, carries all of the service's routes under its prefix (`routes`: pins, A/B, faults,
 * retries, timeouts, the weighted catch-all), merged as istiod merges a delegate VirtualService.
 */
import * as pulumi from "@pulumi/pulumi";
import { planIngressGateway } from "./ingressGatewayPlan";
import { IstioResource } from "./istio/types";
import { objectMeta } from "./meta";
import { PlannedArgs, type Plain } from "./inputs";
import { reusePlan } from "./planOnce";
import type { IngressGatewayArgs } from "./ingressGatewayPlan";
export type { IngressTlsArgs, IngressGatewayArgs } from "./ingressGatewayPlan";

export const INGRESS_GATEWAY_TOKEN = "mesh-traffic:index:IngressGateway";

export class IngressGateway extends pulumi.ComponentResource {
    /** The Gateway. */
    public readonly gateway: IstioResource<"Gateway">;
    /** The VirtualService bound to it. */
    public readonly virtualService: IstioResource<"VirtualService">;
    /** `<namespace>/<name>` of the Gateway, as VirtualServices reference it. */
    public readonly gatewayRef: pulumi.Output<string>;
    /** The external hosts. */
    public readonly hosts: pulumi.Output<string[]>;

    constructor(name: string, args: IngressGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, { token: INGRESS_GATEWAY_TOKEN, name, plan: (a: Plain<IngressGatewayArgs>) => reusePlan(planIngressGateway, a, name) });
        super(INGRESS_GATEWAY_TOKEN, name, {}, opts);
        planned.attach(this);
        this.hosts = planned.output((a) => [...a.hosts]);
        this.gatewayRef = planned.output((a) => `${a.namespace}/${name}`);
        const metadata = planned.map((a) => objectMeta(name, a.namespace, a.labels));
        this.gateway = new IstioResource(`${name}-gateway`, { kind: "Gateway", metadata, spec: planned.map((_, p) => p.gateway) }, { parent: this });
        this.virtualService = new IstioResource(
            `${name}-vs`,
            { kind: "VirtualService", metadata, spec: planned.map((_, p) => p.virtualService) },
            { parent: this, dependsOn: [this.gateway] },
        );
        this.registerOutputs({ gateway: this.gateway, virtualService: this.virtualService, gatewayRef: this.gatewayRef, hosts: this.hosts });
    }
}
