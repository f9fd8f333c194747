/**
 * The stack layer: typed config in, components and outputs out.
 *
 * - {@link buildMeshStack}`(config)`: creates every component of a parsed config; reads no config itself, so
 *   the Pulumi program (index.ts) and an Automation API inline program both call it.
 * - {@link meshProgram}: the whole program as a function (`LocalWorkspace.selectStack({ program: meshProgram })`):
 *   reads this stack's `mesh-traffic:` config, builds the stack and returns its outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig, StackConfigError } from "./readConfig";
import { checkGatewayApiService } from "./gatewayApi";
import { checkServiceAgainstPlatform, type PlatformOutputs } from "./layout";
import { type MeshStackOutputs } from "./meshPlan";
import { buildMeshStack } from "./meshStack";

export * from "../contract/schema";
export * from "./config";
export * from "./readConfig";
export * from "./rules";
export * from "./meshPlan";
export * from "./meshStack";
export * from "./layout";
export * from "./environment";

/** The engine's builtin invoke that reads a stack's outputs from the backend (what a StackReference reads). */
const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/** How the engine says the backend holds no stack of that name (`unknown stack "<name>"`, and other backends' words). */
const MISSING_STACK = /unknown stack|no stack named|stack .*not found|does not exist/i;

/**
 * The Pulumi program: read and check the stack config, build the stack, return the stack outputs. A service
 * stack first reads its platform stack's `platform` output ({@link readPlatformOutput}) and checks itself
 * against it; any problem is thrown before a Kubernetes object is registered.
 */
export async function meshProgram(): Promise<MeshStackOutputs> {
    const cfg = readStackConfig();
    if (cfg.layout !== "service") {
        return buildMeshStack(cfg).outputs;
    }
    const platform = await readPlatformOutput(cfg.platformStack);
    const problems = checkServiceAgainstPlatform(cfg, platform, pulumi.getStack());
    if (problems.length === 0) {
        // checkServiceAgainstPlatform checked the shape this cast names.
        problems.push(...checkGatewayApiService(cfg, platform as PlatformOutputs));
    }
    if (problems.length > 0) {
        throw new StackConfigError(pulumi.getStack(), problems);
    }
    // checkServiceAgainstPlatform checked the shape this cast names.
    return buildMeshStack(cfg, platform as PlatformOutputs).outputs;
}

/**
 * A service stack's read of its platform stack's `platform` output, through the engine's builtin
 * `pulumi:pulumi:readStackOutputs` invoke: the same backend read a `pulumi.StackReference` makes (same name
 * resolution: `production` in this project and backend, or fully qualified), but not a resource, so the
 * service stack's own state does not keep a copy of every platform output. That copy grew with the mesh
 * (the platform's root routes list every service: 108 KB of a service stack's checkpoint at 1,000 services)
 * and was written again and diffed on every weight step. A platform stack the backend does not hold is a
 * config problem named at `platformStack`, before anything is registered; any other failure of the read
 * (the backend unreachable) is thrown as the engine gave it.
 */
export async function readPlatformOutput(platformStack: string): Promise<unknown> {
    let result: { outputs?: Record<string, unknown> } | undefined;
    try {
        result = (await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name: platformStack })) as typeof result;
    } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        // the line that says so (the pattern matches within one line)
        const said = text.split("\n").find((l) => MISSING_STACK.test(l))?.trim();
        if (said === undefined) {
            throw err;
        }
        throw new StackConfigError(pulumi.getStack(), [
            {
                propertyPath: "platformStack",
                reason:
                    `platformStack is "${platformStack}", a stack this backend does not hold (the engine: ${said}); ` +
                    `a service stack reads its environment's platform stack, which must be brought up first`,
                fix:
                    `pulumi config set platformStack <env> (the platform stack's name, or organization/<project>/<env> on a ` +
                    `self-managed backend), and bring that stack up first (mesh-release env up --env <env> brings both up in order)`,
            },
        ]);
    }
    return result?.outputs?.["platform"];
}
