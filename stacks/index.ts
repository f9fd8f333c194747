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

/** Name of the StackReference a service stack reads its platform stack through. */
export const PLATFORM_REFERENCE = "platform";

/**
 * The Pulumi program: read and check the stack config, build the stack, return the stack outputs. A service
 * stack first reads its platform stack's `platform` output through a StackReference and checks itself against
 * it; any problem is thrown before a Kubernetes object is registered.
 */
export async function meshProgram(): Promise<MeshStackOutputs> {
    const cfg = readStackConfig();
    if (cfg.layout !== "service") {
        return buildMeshStack(cfg).outputs;
    }
    const ref = new pulumi.StackReference(PLATFORM_REFERENCE, { name: cfg.platformStack });
    const platform: unknown = (await ref.getOutputDetails("platform")).value;
    const problems = checkServiceAgainstPlatform(cfg, platform);
    if (problems.length > 0) {
        throw new StackConfigError(pulumi.getStack(), problems);
    }
    // checkServiceAgainstPlatform checked the shape this cast names.
    return buildMeshStack(cfg, platform as PlatformOutputs).outputs;
}
