/**
 * `Canary`: the DestinationRule (subsets `stable`/`canary` by `version` label, the host-wide circuit
 * breaker, per-subset policies) and the mesh VirtualService of one service, with the route order of
 * routes.ts. A service without a canary is a Canary with only `stable`: the one place its DR is emitted.
 */
import * as pulumi from "@pulumi/pulumi";
import { CANARY_TOKEN, planCanary, serviceDestinationRule } from "./canaryPlan";
import { IstioResource, type HTTPRoute } from "./istio/types";
import { objectMeta } from "./meta";
import type { Weights } from "./routes";
import { PlannedArgs, type Plain } from "./inputs";
import { reusePlan } from "./planOnce";
import type { CanaryArgs } from "./canaryPlan";
export type { CanaryArgs } from "./canaryPlan";

export class Canary extends pulumi.ComponentResource {
    /** The DestinationRule (subsets and traffic policy). */
    public readonly destinationRule: IstioResource<"DestinationRule">;
    /** The mesh VirtualService (a root delegating to {@link delegateVirtualService} when there is one); none when `virtualService` is false. */
    public readonly virtualService: IstioResource<"VirtualService"> | undefined;
    /** The delegate VirtualService with the routes, when `delegate` is set. */
    public readonly delegateVirtualService: IstioResource<"VirtualService"> | undefined;
    /** Live catch-all weights, percent: pass to a gateway route's `weights` (IST0140). */
    public readonly weights: pulumi.Output<Weights>;
    /**
     * The HTTP routes of the mesh VirtualService (of the delegate, with `delegate`), in order: pass to a gateway
     * route's `routes` so that gateway traffic is routed like mesh traffic (pins, A/B, faults, retries, ...).
     */
    public readonly httpRoutes: pulumi.Output<HTTPRoute[]>;
    /** Subset names the DestinationRule defines. */
    public readonly subsets: pulumi.Output<string[]>;
    /** Hosts of the mesh VirtualService. */
    public readonly hosts: pulumi.Output<string[]>;
    /** The destination host. */
    public readonly host: pulumi.Output<string>;

    constructor(name: string, args: CanaryArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, {
            token: CANARY_TOKEN,
            name,
            plan: (a: Plain<CanaryArgs>) => reusePlan(planCanary, a, name),
            structural: ["delegate", "virtualService", "protocol"],
            claims: true,
        });
        super(CANARY_TOKEN, name, {}, opts);
        planned.attach(this);

        this.host = planned.output((a) => a.service);
        this.hosts = planned.output((_, p) => p.hosts);
        this.weights = planned.output((_, p) => p.weights);
        this.httpRoutes = planned.output((_, p) => p.http);
        this.subsets = planned.output((_, p) => p.subsets.map((s) => s.name));
        const meta = (objectName: (a: Plain<CanaryArgs>) => string) => planned.map((a) => objectMeta(objectName(a), a.namespace, a.labels));

        this.destinationRule = new IstioResource(
            `${name}-dr`,
            { kind: "DestinationRule", metadata: meta((a) => a.service), spec: planned.map((a, p) => serviceDestinationRule(a.service, p)) },
            { parent: this },
        );
        // Make before break: the delegate exists before the root route that points at it.
        this.delegateVirtualService =
            args.delegate === undefined
                ? undefined
                : new IstioResource(
                      `${name}-delegate-vs`,
                      {
                          kind: "VirtualService",
                          metadata: meta((a) => (a.delegate as { name: string }).name),
                          spec: planned.map((a, p) => ({ exportTo: [...(a.delegate?.exportTo ?? ["."])], http: p.http })),
                      },
                      { parent: this, dependsOn: [this.destinationRule] },
                  );
        this.virtualService = args.virtualService === false ? undefined : new IstioResource(
            `${name}-vs`,
            {
                kind: "VirtualService",
                metadata: meta((a) => a.service),
                spec: planned.map((a, p) =>
                    a.protocol === "tcp"
                        ? { hosts: p.hosts, tcp: p.tcp }
                        : { hosts: p.hosts, http: a.delegate === undefined ? p.http : [{ delegate: { name: a.delegate.name, namespace: a.namespace } }] },
                ),
            },
            { parent: this, dependsOn: [this.delegateVirtualService ?? this.destinationRule] },
        );

        this.registerOutputs({
            destinationRule: this.destinationRule,
            ...(this.virtualService === undefined ? {} : { virtualService: this.virtualService }),
            ...(this.delegateVirtualService === undefined ? {} : { delegateVirtualService: this.delegateVirtualService }),
            weights: this.weights,
            subsets: this.subsets,
            hosts: this.hosts,
            host: this.host,
        });
    }
}
