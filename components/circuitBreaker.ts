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
import { throwIfProblems } from "./meshValidationError";
import { checkDnsLabel, checkHosts, Problem } from "./validation";

export const CIRCUIT_BREAKER_TOKEN = "mesh-traffic:index:CircuitBreaker";

/** Arguments of {@link CircuitBreaker}. */
export interface CircuitBreakerArgs {
    /** Namespace of the DestinationRule. */
    namespace: string;
    /** Destination host: a Service name ("sample-app") or a DNS name. */
    host: string;
    /** The host-wide policy: loadBalancer, connectionPool, outlierDetection, tls. */
    trafficPolicy: TrafficPolicyArgs;
    /** Subsets by `version` label with per-subset overrides. Default none. */
    subsets?: SubsetArgs[];
    /** The one-DestinationRule-per-host registry. Default {@link DestinationRuleClaims.global}. */
    claims?: DestinationRuleClaims;
    /** Extra labels on the DestinationRule. Default none. */
    labels?: Record<string, string>;
}

export class CircuitBreaker extends pulumi.ComponentResource {
    /** The DestinationRule. */
    public readonly destinationRule: IstioResource<"DestinationRule">;
    /** The destination host. */
    public readonly host: string;

    constructor(name: string, args: CircuitBreakerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const plan = planCircuitBreaker(name, args);
        throwIfProblems(CIRCUIT_BREAKER_TOKEN, name, plan.problems);
        super(CIRCUIT_BREAKER_TOKEN, name, {}, opts);
        for (const w of plan.warnings) {
            void pulumi.log.warn(w, this);
        }
        this.host = args.host;
        this.destinationRule = new IstioResource(
            `${name}-dr`,
            { kind: "DestinationRule", metadata: objectMeta(name, args.namespace, args.labels), spec: plan.spec },
            { parent: this },
        );
        this.registerOutputs({ destinationRule: this.destinationRule, host: this.host });
    }
}

/** Pure: validates CircuitBreakerArgs and computes the DestinationRule spec. */
export function planCircuitBreaker(name: string, args: CircuitBreakerArgs): { problems: Problem[]; warnings: string[]; spec: DestinationRuleSpec } {
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
