/**
 * `InternalGateway`: an HTTP Gateway for traffic between namespaces (hosts like `*.ns.svc.cluster.local`)
 * and, when routes are given, the VirtualService bound to it.
 */
import * as pulumi from "@pulumi/pulumi";
import { planInternalGateway } from "./internalGatewayPlan";
import { IstioResource } from "./istio/types";
import { objectMeta } from "./meta";
import { GatewayRouteArgs } from "./routes";
import { throwIfProblems } from "./meshValidationError";

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
        for (const w of plan.warnings) {
            void pulumi.log.warn(w, this);
        }
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
