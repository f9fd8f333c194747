/**
 * The stack layer: typed config in, components and outputs out.
 *
 * - {@link buildMeshStack}`(config)`: creates every component of a parsed config; reads no config itself, so
 *   the Pulumi program (index.ts) and an Automation API inline program both call it.
 * - {@link meshProgram}: the whole program as a function (`LocalWorkspace.selectStack({ program: meshProgram })`):
 *   reads this stack's `mesh-traffic:` config, builds the stack and returns its outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkStackInput, readStackInput, StackConfigError } from "./readConfig";
import { checkGatewayApiService } from "./gatewayApi";
import { checkServiceAgainstPlatform } from "./layout";
import { platformOutputContract, type PlatformOutputs } from "../contract/platformOutput";
import { readStackOutput } from "./stackOutputs";
import { type MeshStackOutputs } from "./meshPlan";
import { buildMeshStack } from "./meshStack";

export * from "../contract/schema";
export * from "../contract/platformOutput";
export * from "./config";
export * from "./readConfig";
export * from "./rules";
export * from "./meshPlan";
export * from "./meshStack";
export * from "./stackPlan";
export * from "./layout";
export * from "./environment";

/**
 * The Pulumi program: read and check the stack config, build the stack, return the stack outputs. The mesh is
 * planned once, by the check (stacks/stackPlan.ts), and built as planned. A service stack's objects go to its
 * platform stack's namespace, so it reads the platform's `platform` output ({@link readPlatformOutput}) before the
 * check, and checks itself against it after; a failed read is thrown only once the config itself has no problem
 * (a bad config is reported first, as it is without a platform). Any problem is thrown before a Kubernetes object is
 * registered.
 */
export async function meshProgram(): Promise<MeshStackOutputs> {
    const input = readStackInput();
    const platformStack = typeof input.raw["platformStack"] === "string" ? input.raw["platformStack"] : "";
    const read =
        input.raw["layout"] === "service"
            ? await readPlatformOutput(platformStack).then(
                  (platform) => ({ ok: true as const, platform }),
                  (error: unknown) => ({ ok: false as const, error }),
              )
            : undefined;
    const plan = checkStackInput(input, read?.ok === true ? read.platform : undefined);
    const cfg = plan.config;
    if (cfg.layout !== "service") {
        return buildMeshStack(plan).outputs;
    }
    if (read === undefined) {
        // The check takes layout as the text "service" only (contract/project.ts keeps `layout` text), so it was read.
        throw new Error(`internal: stack ${input.stack} has layout service but its platform output was not read`);
    }
    if (!read.ok) {
        throw read.error;
    }
    const platform = read.platform;
    const problems = checkServiceAgainstPlatform(cfg, platform, input.stack);
    if (problems.length === 0 && platform !== undefined) {
        problems.push(...checkGatewayApiService(cfg, platform, plan.gatewayApi));
    }
    if (problems.length > 0 || platform === undefined) {
        throw new StackConfigError(input.stack, problems);
    }
    return buildMeshStack(plan).outputs;
}

/**
 * A service stack's read of its platform stack's `platform` output ({@link readStackOutput}: the engine's
 * `pulumi:pulumi:readStackOutputs`, not a resource, so the service stack's own state does not keep a copy of every
 * platform output. That copy grew with the mesh (the platform's root routes list every service: 108 KB of a service
 * stack's checkpoint at 1,000 services) and was written again and diffed on every weight step), parsed by the
 * platform output's schema (contract/platformOutput.ts). A platform stack the backend does not hold, or whose output
 * does not parse, is a config problem named at `platformStack`, before anything is registered; undefined: the stack
 * exports no platform output (checkServiceAgainstPlatform says so). Any other failure of the read (the backend
 * unreachable) is thrown as the engine gave it.
 */
export async function readPlatformOutput(platformStack: string): Promise<PlatformOutputs | undefined> {
    const read = await readStackOutput(platformStack, platformOutputContract);
    switch (read.kind) {
        case "absent":
            return undefined;
        case "missing-stack":
            throw new StackConfigError(pulumi.getStack(), [
                {
                    propertyPath: "platformStack",
                    reason:
                        `platformStack is "${platformStack}", a stack this backend does not hold (the engine: ${read.said}); ` +
                        `a service stack reads its environment's platform stack, which must be brought up first`,
                    fix:
                        `pulumi config set platformStack <env> (the platform stack's name, or organization/<project>/<env> on a ` +
                        `self-managed backend), and bring that stack up first (mesh-release env up --env <env> brings both up in order)`,
                },
            ]);
        case "read":
            if (read.ok) {
                return read.value;
            }
            throw new StackConfigError(pulumi.getStack(), [{ propertyPath: "platformStack", reason: read.reason, fix: read.fix }]);
        default: {
            const never: never = read;
            return never;
        }
    }
}
