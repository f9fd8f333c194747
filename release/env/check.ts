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
import { PROJECT } from "../../contract/project";
import { configFromPulumiMap } from "../../contract/stackConfig";
import { checkStackConfig } from "../../stacks/config";
import { checkEnvironment, type StackConfigInput } from "../../stacks/environment";
import type { ConfigProblem } from "../errors";
import type { ConfigValidator } from "../rollout";
import type { StackFile } from "../target";
import { serviceStacksOf } from "./plan";

/** A stack's plain `mesh-traffic:` config (keys without the prefix) as the program reads it: Pulumi hands values over as text. */
export function rawStackConfig(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const map: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        map[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return configFromPulumiMap(map).raw;
}

/**
 * The stack schema and rules (stacks/config.ts) as the release's {@link ConfigValidator}: the config a command
 * is about to write must be one the Pulumi program accepts. Top-level values are typed the way the program
 * reads them (Pulumi hands plain keys over as text: `createNamespace: "true"`).
 */
export const stackValidator: ConfigValidator = (config) =>
    checkStackConfig(rawStackConfig(config)).problems.map((p) => ({ propertyPath: p.propertyPath, reason: `${p.reason} (fix: ${p.fix})` }));

/** `{secure: "v1:..."}` leaves become "[secret]" (a copy). */
function withoutCiphertexts(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutCiphertexts);
    }
    if (value !== null && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (Object.keys(o).length === 1 && typeof o["secure"] === "string") {
            return "[secret]";
        }
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, withoutCiphertexts(v)]));
    }
    return value;
}

/** A parsed stack settings file's `mesh-traffic:` keys, prefix stripped, secure values as "[secret]" (not yet typed as Pulumi hands them over: {@link rawStackConfig}). */
export function plainStackConfig(settings: unknown): Record<string, unknown> {
    const config = (settings as { config?: unknown } | null)?.config;
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config !== null && typeof config === "object" ? config : {})) {
        if (key.startsWith(`${PROJECT}:`)) {
            plain[key.slice(PROJECT.length + 1)] = withoutCiphertexts(value);
        }
    }
    return plain;
}

/** One stack file's `mesh-traffic:` config, prefix stripped. */
export function stackConfigOfFile(workDir: string, stack: string): StackConfigInput {
    return { stack, config: rawStackConfig(plainStackConfig(parse(fs.readFileSync(path.join(workDir, `Pulumi.${stack}.yaml`), "utf8")))) };
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
