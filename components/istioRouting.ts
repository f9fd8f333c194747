/**
 * `IstioRouting`: Istio's own objects (VirtualService, DestinationRule, ServiceEntry, Gateway, Sidecar), by name, as
 * the general traffic model of a stack (the `routing` config key) or of a program composing it with the other
 * components. Everything is checked first (components/istioRoutingPlan.ts: the pinned CRD schema, then the references
 * between the objects and to the rest of the stack); one `MeshValidationError` names every problem and nothing is
 * registered. VirtualServices wait for the stack's DestinationRules, ServiceEntries and Gateways (make before break:
 * a route never points at a subset, host or gateway that does not exist yet).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ISTIO_API_VERSION } from "./istio/types";
import { ROUTING_KEYS, type RoutingKind } from "../contract/istioKinds";
import { itemOf, PlannedArgs, type Plain } from "./inputs";
import { planIstioRouting, routingObjectNames, type IstioRoutingArgs } from "./istioRoutingPlan";
import { objectMeta } from "./meta";
import { reusePlan } from "./planOnce";

export type { IstioRoutingArgs, RoutingContext, RoutingObjects } from "./istioRoutingPlan";

export const ISTIO_ROUTING_TOKEN = "mesh-traffic:index:IstioRouting";

export class IstioRouting extends pulumi.ComponentResource {
    /** Every object created, by `<Kind>/<name>`. */
    public readonly objects: Record<string, k8s.apiextensions.CustomResource>;

    constructor(name: string, args: IstioRoutingArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, {
            token: ISTIO_ROUTING_TOKEN,
            name,
            plan: (a: Plain<IstioRoutingArgs>) => reusePlan(planIstioRouting, a),
            structural: Object.values(ROUTING_KEYS).map((key) => `objects.${key}`),
            problemPath: (p) => p.replace(/^objects\./, ""),
        });
        super(ISTIO_ROUTING_TOKEN, name, {}, opts);
        planned.attach(this);
        const names = routingObjectNames(args.objects);
        const make = (o: { kind: RoutingKind; name: string }, dependsOn: pulumi.Resource[]): k8s.apiextensions.CustomResource =>
            new k8s.apiextensions.CustomResource(
                `${o.kind}-${o.name}`,
                {
                    apiVersion: ISTIO_API_VERSION,
                    kind: o.kind,
                    metadata: planned.map((a) => objectMeta(o.name, a.namespace, a.labels)),
                    spec: planned.map((_, p) => itemOf(p.objects, names.indexOf(o), "objects").spec),
                },
                { parent: this, dependsOn },
            );
        this.objects = {};
        const first: k8s.apiextensions.CustomResource[] = [];
        for (const o of names.filter((x) => x.kind !== "VirtualService")) {
            const r = make(o, []);
            this.objects[`${o.kind}/${o.name}`] = r;
            if (o.kind !== "Sidecar") first.push(r);
        }
        for (const o of names.filter((x) => x.kind === "VirtualService")) {
            this.objects[`${o.kind}/${o.name}`] = make(o, first);
        }
        this.registerOutputs({ objects: Object.keys(this.objects) });
    }
}
