/**
 * `Waypoint`: an ambient-mode waypoint proxy for a namespace or a service (plan: gatewayApiPlan.ts planWaypoint): a
 * `Gateway` of class `istio-waypoint` with one listener `mesh`, port 15008, HBONE. What it serves is said elsewhere:
 * the label `istio.io/use-waypoint: <name>` on the namespace or the Service; the service's HTTPRoutes attach to its
 * Service (GAMMA) as in sidecar mode, and the waypoint applies them.
 */
import * as pulumi from "@pulumi/pulumi";
import { GatewayApiResource } from "./gatewayApi/types";
import { planWaypoint, skipAwaitAnnotations, WAYPOINT_TOKEN, type WaypointArgs } from "./gatewayApiPlan";
import { objectMeta } from "./meta";
import { throwIfProblems } from "./meshValidationError";
import { reusePlan } from "./planOnce";

export class Waypoint extends pulumi.ComponentResource {
    /** The waypoint's Gateway. */
    public readonly gateway: GatewayApiResource<"Gateway">;
    /** Its name: the value of `istio.io/use-waypoint` that selects it. */
    public readonly waypointName: string;

    constructor(name: string, args: WaypointArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const plan = reusePlan(planWaypoint, args, name);
        throwIfProblems(WAYPOINT_TOKEN, name, plan.problems);
        super(WAYPOINT_TOKEN, name, {}, opts);
        this.waypointName = name;
        const meta = objectMeta(name, args.namespace, { ...(args.labels ?? {}), ...plan.labels });
        this.gateway = new GatewayApiResource(
            `${name}-gateway`,
            { kind: "Gateway", metadata: { ...meta, annotations: skipAwaitAnnotations(args.skipAwait) }, spec: plan.gateway },
            { parent: this },
        );
        this.registerOutputs({ gateway: this.gateway, waypointName: this.waypointName });
    }
}
