/**
 * The Pulumi program's own checks, run by mesh-release (release/'s one edge into stacks/ besides running the
 * program, driver/program.ts): {@link stackValidator}, the config a command is about to write, and the fan-out's
 * check before it applies anything: every stack of the environment, read from the project's
 * `Pulumi.<stack>.yaml` files, through the program side's `checkEnvironment` (stacks/environment.ts: each
 * stack's schema and rules, the layouts, one stack per service, every root route to a service stack,
 * delegate matches nested in the root's). Secure values are not decrypted: the check sees `[secret]` in
 * their place (their shape is checked when the stack itself runs).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { configFromStackFile, configFromValues } from "../../contract/stackConfig";
import { checkStackConfig } from "../../stacks/config";
import { checkEnvironment, type StackConfigInput } from "../../stacks/environment";
import type { ConfigProblem } from "../core/errors";
import type { ConfigValidator } from "../rollout";
import { projectStackDir, type StackFile } from "./target";
import { serviceStacksOf } from "./plan";

/**
 * The stack schema and rules (stacks/config.ts) as the release's {@link ConfigValidator}: the config a command
 * is about to write must be one the Pulumi program accepts. Top-level values are typed the way the program
 * reads them (Pulumi hands plain keys over as text: `createNamespace: "true"`).
 */
export const stackValidator: ConfigValidator = (config) =>
    checkStackConfig(configFromValues(config)).problems.map((p) => ({ propertyPath: p.propertyPath, reason: `${p.reason} (fix: ${p.fix})` }));

/** One stack file's `mesh-traffic:` config, prefix stripped, as the program reads it (in Pulumi.yaml's `stackConfigDir` when set). */
export function stackConfigOfFile(workDir: string, stack: string): StackConfigInput {
    return { stack, config: configFromStackFile(parse(fs.readFileSync(path.join(projectStackDir(workDir), `Pulumi.${stack}.yaml`), "utf8"))) };
}

/** The check `mesh-release env` runs before applying anything; problems name the stack and the path. */
export function environmentCheck(workDir: string): (env: string, files: readonly StackFile[]) => ConfigProblem[] {
    return (env, files) => {
        const platform = stackConfigOfFile(workDir, env);
        const services = serviceStacksOf(env, files).map((f) => stackConfigOfFile(workDir, f.name));
        return checkEnvironment(platform, services).map((p) => ({
            propertyPath: `${p.stack}: ${p.propertyPath}`,
            reason: `${p.reason} (fix: ${p.fix})`,
        }));
    };
}
