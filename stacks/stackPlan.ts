/**
 * One plan of a stack per program run: the args of every component (stacks/meshPlan.ts, and the Gateway API
 * components' in that mode, stacks/gatewayApi.ts), made by the config check (stacks/config.ts) and built by
 * stacks/meshStack.ts as it is. Each component's own plan runs once too, on these args (components/planOnce.ts):
 * the check reads its problems, the component's constructor takes the same plan. Pure: loads no Pulumi SDK.
 */
import { DestinationRuleClaims } from "../components/destinationRuleClaims";
import { freezePlain } from "../components/planOnce";
import type { PlatformOutputs } from "../contract/platformOutput";
import type { StackConfig } from "../contract/schema";
import { gatewayApiStackArgs, type GatewayApiStackArgs } from "./gatewayApi";
import { planMeshStack, type MeshPlan } from "./meshPlan";

/** A stack's plan: what {@link planStack} made, for one config (and a service stack's platform output). */
export interface StackPlan {
    /** The config planned: a frozen copy of the checked config. */
    readonly config: StackConfig;
    /** A service stack's platform stack output, when the plan was made with it (the objects go to its namespace). */
    readonly platform: PlatformOutputs | undefined;
    /** The args of every component, and the stack's DestinationRule registry inside them. */
    readonly mesh: MeshPlan;
    /** `routingApi: gateway-api`: the Gateway API components' args (from `mesh`); undefined in the Istio mode. */
    readonly gatewayApi: GatewayApiStackArgs | undefined;
}

/** The plans {@link planStack} made: only these are built as they are (a look-alike object is a config). */
const made = new WeakSet<StackPlan>();

/** Whether `value` is a plan {@link planStack} made. */
export function isStackPlan(value: unknown): value is StackPlan {
    return typeof value === "object" && value !== null && made.has(value as StackPlan);
}

/**
 * Pure: the plan of a parsed config. `config` is a frozen copy, so that what the build reads of it (labels, outputs)
 * stays what was planned; the components' args hold values of planMeshStack's own copy.
 */
export function planStack(cfg: StackConfig, platform?: PlatformOutputs): StackPlan {
    const config = freezePlain(structuredClone(cfg));
    const mesh = planMeshStack(config, new DestinationRuleClaims(), platform);
    const plan: StackPlan = {
        config,
        platform,
        mesh,
        gatewayApi: config.routingApi === "gateway-api" ? gatewayApiStackArgs(config, mesh, platform) : undefined,
    };
    made.add(plan);
    return plan;
}
