/**
 * `Canary`: the DestinationRule (subsets `stable`/`canary` by `version` label, the host-wide circuit
 * breaker, per-subset policies) and the mesh VirtualService of one service, with the route order of
 * routes.ts. A service without a canary is a Canary with only `stable`: the one place its DR is emitted.
 */
import * as pulumi from "@pulumi/pulumi";
import { CANARY_TOKEN, planCanary, serviceDestinationRule } from "./canaryPlan";
import { DestinationRuleClaims } from "./destinationRuleClaims";
import { IstioResource, type HTTPRoute } from "./istio/types";
import { objectMeta } from "./meta";
import { AbTestArgs, CanaryPin, FaultArgs, RedirectArgs, RetryArgs, SessionAffinityArgs, UriRouteArgs, Weights } from "./routes";

import { SubsetArgs, TrafficPolicyArgs } from "./trafficPolicy";
import { throwIfProblems } from "./meshValidationError";

/** Arguments of {@link Canary}. All values are plain: they are validated before anything is created. */
export interface CanaryArgs {
    /** Namespace of the DestinationRule and VirtualService. */
    namespace: string;
    /** The Kubernetes Service (DNS label), the destination host. */
    service: string;
    /** Destination port, 1..65535. Default: none (Istio uses the service's only port). */
    port?: number;
    /** Hosts of the mesh VirtualService. Default `[service]`. `*` is rejected. */
    hosts?: string[];
    /** The stable subset: `version` label value and an optional per-subset policy. */
    stable: { version: string; trafficPolicy?: TrafficPolicyArgs };
    /**
     * The canary subset. `version` absent = no canary subset and no canary routes. `weight`: percent of the
     * catch-all, integer 0..100, default 0. `routed`: default true; false keeps the subset but routes nothing
     * to it (rollback, first half of promotion). `sessionAffinity`: sticky sessions while the canary takes a share of
     * the split (routes.ts `stickySession`), default off. `revision`: the release the session cookies name, default
     * the canary version.
     */
    canary?: {
        version?: string;
        weight?: number;
        routed?: boolean;
        trafficPolicy?: TrafficPolicyArgs;
        sessionAffinity?: SessionAffinityArgs;
        revision?: string;
    };
    /** Host-wide traffic policy (the circuit breaker), merged into this one DestinationRule. Default none. */
    trafficPolicy?: TrafficPolicyArgs;
    /** More subsets by `version` label (e.g. a URI-routed "legacy"). Default none. */
    extraSubsets?: SubsetArgs[];
    /** Header/cookie pins to the canary, matched first. Default none. */
    pins?: CanaryPin[];
    /** A/B flag routes to the canary, after the pins. Default none. */
    abTest?: AbTestArgs;
    /** Prefix redirects, before the URI routes. Default none. */
    redirects?: RedirectArgs[];
    /** URI-prefix routes to a subset or a split, optionally rewriting. Default none. */
    uriRoutes?: UriRouteArgs[];
    /** Mirror `percentage` percent of catch-all traffic to the canary. Default: no mirror. */
    mirror?: { percentage: number };
    /** Timeout of every forwarding route, Go duration (e.g. "10s"). Default: Istio's (none). */
    timeout?: string;
    /** Retries of every forwarding route. Default: Istio's (2 attempts). */
    retries?: RetryArgs;
    /** Fault injection; absent = off. With `header`, a separate first route. */
    faults?: FaultArgs;
    /** The one-DestinationRule-per-host registry. Default {@link DestinationRuleClaims.global}. */
    claims?: DestinationRuleClaims;
    /** Extra labels on every object. Default none. */
    labels?: Record<string, string>;
    /**
     * Put the routes in a delegate VirtualService named `delegate.name` (no hosts, no gateways, exported to
     * `delegate.exportTo`, default `["."]`: its own namespace) and make the mesh VirtualService a root whose one
     * route delegates to it. Gateway root VirtualServices delegate to the same one, so every root routes
     * with the same weights, pins, A/B flag, faults, retries and timeouts. Default: no delegate, the routes
     * are in the mesh VirtualService itself.
     */
    delegate?: { name: string; exportTo?: string[] };
    /**
     * false: emit no mesh VirtualService (the DestinationRule only): another VirtualService routes the service's hosts,
     * e.g. a `routing` VirtualService whose http route `{ release: <svc> }` carries this canary's routes
     * ({@link CanaryPlan.http}). Default true.
     */
    virtualService?: boolean;
    /**
     * Istio http routes (networking.istio.io/v1 HTTPRoute, any match and action) placed before the canary's own
     * routes in its VirtualService (or its delegate): what they match never reaches the canary's pins or split.
     * Checked against Istio's CRD schema. Default none.
     */
    routesBefore?: Record<string, unknown>[];
}

export class Canary extends pulumi.ComponentResource {
    /** The DestinationRule (subsets and traffic policy). */
    public readonly destinationRule: IstioResource<"DestinationRule">;
    /** The mesh VirtualService (a root delegating to {@link delegateVirtualService} when there is one); none when `virtualService` is false. */
    public readonly virtualService: IstioResource<"VirtualService"> | undefined;
    /** The delegate VirtualService with the routes, when `delegate` is set. */
    public readonly delegateVirtualService: IstioResource<"VirtualService"> | undefined;
    /** Live catch-all weights, percent: pass to a gateway route's `weights` (IST0140). */
    public readonly weights: Weights;
    /**
     * The HTTP routes of the mesh VirtualService (of the delegate, with `delegate`), in order: pass to a gateway
     * route's `routes` so that gateway traffic is routed like mesh traffic (pins, A/B, faults, retries, ...).
     */
    public readonly httpRoutes: HTTPRoute[];
    /** Subset names the DestinationRule defines. */
    public readonly subsets: string[];
    /** Hosts of the mesh VirtualService. */
    public readonly hosts: string[];
    /** The destination host. */
    public readonly host: string;

    constructor(name: string, args: CanaryArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const plan = planCanary(name, args);
        throwIfProblems(CANARY_TOKEN, name, plan.problems);
        super(CANARY_TOKEN, name, {}, opts);
        for (const w of plan.warnings) {
            void pulumi.log.warn(w, this);
        }

        this.host = args.service;
        this.hosts = plan.hosts;
        this.weights = plan.weights;
        this.httpRoutes = plan.http;
        this.subsets = plan.subsets.map((s) => s.name);

        this.destinationRule = new IstioResource(
            `${name}-dr`,
            { kind: "DestinationRule", metadata: objectMeta(args.service, args.namespace, args.labels), spec: serviceDestinationRule(args.service, plan) },
            { parent: this },
        );
        const delegate = args.delegate;
        // Make before break: the delegate exists before the root route that points at it.
        this.delegateVirtualService =
            delegate === undefined
                ? undefined
                : new IstioResource(
                      `${name}-delegate-vs`,
                      {
                          kind: "VirtualService",
                          metadata: objectMeta(delegate.name, args.namespace, args.labels),
                          spec: { exportTo: [...(delegate.exportTo ?? ["."])], http: plan.http },
                      },
                      { parent: this, dependsOn: [this.destinationRule] },
                  );
        this.virtualService = args.virtualService === false ? undefined : new IstioResource(
            `${name}-vs`,
            {
                kind: "VirtualService",
                metadata: objectMeta(args.service, args.namespace, args.labels),
                spec: {
                    hosts: plan.hosts,
                    http: delegate === undefined ? plan.http : [{ delegate: { name: delegate.name, namespace: args.namespace } }],
                },
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
