/**
 * `CircuitBreaker`: a DestinationRule with only a traffic policy (and optional subsets) for a host that has
 * no Canary. A host with a Canary takes its circuit breaker as `CanaryArgs.trafficPolicy` instead, so
 * there is exactly one DestinationRule per host; both claim the host in {@link DestinationRuleClaims}.
 */
import * as pulumi from "@pulumi/pulumi";
import { DestinationRuleClaims } from "./destinationRuleClaims";
import { DestinationRuleSpec, IstioResource } from "./istio/types";
import { objectMeta } from "./meta";
import { buildSubsets, buildTrafficPolicy, SubsetArgs, TrafficPolicyArgs } from "./trafficPolicy";
import { PlannedArgs, type DeepInput, type Plain } from "./inputs";
import { checkDnsLabel, checkHosts, Problem } from "./validation";

export const CIRCUIT_BREAKER_TOKEN = "mesh-traffic:index:CircuitBreaker";

/** Arguments of {@link CircuitBreaker}. Every value accepts a `pulumi.Input`; known values are checked at construction, the rest when they resolve. */
export interface CircuitBreakerArgs {
    /** Namespace of the DestinationRule. */
    namespace: pulumi.Input<string>;
    /** Destination host: a Service name ("sample-app") or a DNS name. */
    host: pulumi.Input<string>;
    /** The host-wide policy: loadBalancer, connectionPool, outlierDetection, tls. */
    trafficPolicy: DeepInput<TrafficPolicyArgs>;
    /** Subsets by `version` label with per-subset overrides. Default none. */
    subsets?: DeepInput<SubsetArgs[]>;
    /** The one-DestinationRule-per-host registry (plain: a registry, not a value). Default {@link DestinationRuleClaims.global}. */
    claims?: DestinationRuleClaims;
    /** Extra labels on the DestinationRule. Default none. */
    labels?: DeepInput<Record<string, string>>;
}

export class CircuitBreaker extends pulumi.ComponentResource {
    /** The DestinationRule. */
    public readonly destinationRule: IstioResource<"DestinationRule">;
    /** The destination host. */
    public readonly host: pulumi.Output<string>;

    constructor(name: string, args: CircuitBreakerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, {
            token: CIRCUIT_BREAKER_TOKEN,
            name,
            plan: (a: Plain<CircuitBreakerArgs>) => planCircuitBreaker(name, a),
            claims: true,
        });
        super(CIRCUIT_BREAKER_TOKEN, name, {}, opts);
        planned.attach(this);
        this.host = planned.output((a) => a.host);
        this.destinationRule = new IstioResource(
            `${name}-dr`,
            { kind: "DestinationRule", metadata: planned.map((a) => objectMeta(name, a.namespace, a.labels)), spec: planned.map((_, p) => p.spec) },
            { parent: this },
        );
        this.registerOutputs({ destinationRule: this.destinationRule, host: this.host });
    }
}

/** Pure: validates CircuitBreakerArgs and computes the DestinationRule spec. */
export function planCircuitBreaker(name: string, args: Plain<CircuitBreakerArgs>): { problems: Problem[]; warnings: string[]; spec: DestinationRuleSpec } {
    const problems: Problem[] = [...checkDnsLabel("namespace", args.namespace), ...checkHosts("host", [args.host], false).map((p) => ({ ...p, propertyPath: "host", reason: p.reason.replace("host[0]", "host") }))];
    const policy = buildTrafficPolicy("trafficPolicy", args.trafficPolicy);
    const subsets = buildSubsets((args.subsets ?? []).map((s, i) => [`subsets[${i}]`, s] as const));
    problems.push(...policy.problems, ...subsets.problems);
    if (problems.length === 0) {
        const claims = args.claims ?? DestinationRuleClaims.global;
        problems.push(...claims.claim(args.host, args.namespace, `${CIRCUIT_BREAKER_TOKEN} ${JSON.stringify(name)}`, "host"));
    }
    const spec: DestinationRuleSpec = { host: args.host };
    if (policy.policy !== undefined) spec.trafficPolicy = policy.policy;
    if (subsets.subsets.length > 0) spec.subsets = subsets.subsets;
    return { problems, warnings: [...policy.warnings, ...subsets.warnings], spec };
}
