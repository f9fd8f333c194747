/**
 * `InternalGateway`: an HTTP Gateway for traffic between namespaces (hosts like `*.ns.svc.cluster.local`)
 * and, when routes are given, the VirtualService bound to it.
 */
import * as pulumi from "@pulumi/pulumi";
import { planInternalGateway } from "./internalGatewayPlan";
import { IstioResource } from "./istio/types";
import { objectMeta } from "./meta";
import { PlannedArgs, type Plain } from "./inputs";
import { reusePlan } from "./planOnce";
import type { InternalGatewayArgs } from "./internalGatewayPlan";
export type { InternalGatewayArgs } from "./internalGatewayPlan";

export const INTERNAL_GATEWAY_TOKEN = "mesh-traffic:index:InternalGateway";

export class InternalGateway extends pulumi.ComponentResource {
    /** The Gateway. */
    public readonly gateway: IstioResource<"Gateway">;
    /** The bound VirtualService, when routes were given. */
    public readonly virtualService: IstioResource<"VirtualService"> | undefined;
    /** `<namespace>/<name>` of the Gateway. */
    public readonly gatewayRef: pulumi.Output<string>;
    /** The hosts. */
    public readonly hosts: pulumi.Output<string[]>;

    constructor(name: string, args: InternalGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, {
            token: INTERNAL_GATEWAY_TOKEN,
            name,
            plan: (a: Plain<InternalGatewayArgs>) => reusePlan(planInternalGateway, a, name),
            structural: ["routes"],
        });
        super(INTERNAL_GATEWAY_TOKEN, name, {}, opts);
        planned.attach(this);
        this.hosts = planned.output((a) => [...a.hosts]);
        this.gatewayRef = planned.output((a) => `${a.namespace}/${name}`);
        const metadata = planned.map((a) => objectMeta(name, a.namespace, a.labels));
        this.gateway = new IstioResource(`${name}-gateway`, { kind: "Gateway", metadata, spec: planned.map((_, p) => p.gateway) }, { parent: this });
        this.virtualService =
            (args.routes ?? []).length === 0
                ? undefined
                : new IstioResource(
                      `${name}-vs`,
                      { kind: "VirtualService", metadata, spec: planned.map((_, p) => p.virtualService as NonNullable<typeof p.virtualService>) },
                      { parent: this, dependsOn: [this.gateway] },
                  );
        this.registerOutputs({ gateway: this.gateway, virtualService: this.virtualService, gatewayRef: this.gatewayRef, hosts: this.hosts });
    }
}
