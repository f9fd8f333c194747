/**
 * Which stack a release command works on. Per-service layout (docs/config-contract.md): the service
 * `checkout` of environment `production` lives in stack `production.checkout`, whose platform stack
 * `production` holds the gateways, the root route and the release policy defaults. The single-stack
 * layout (one stack `production` holding every service) keeps working.
 *
 * {@link resolveTarget} is pure: the stacks of the project come in as {@link StackFile}s (read from the
 * project's `Pulumi.<stack>.yaml` files by {@link readStackFiles}; {@link pathKindOnDisk} is the CLI's look at a
 * path it was given: the only I/O here), a {@link Target} or a
 * usage error naming what was tried and the fix comes out.
 *
 * Rules, in order:
 * 1. `--stack S`: S (the CLI refuses `--stack` with `--env` while parsing; a library caller giving both gets S).
 * 2. `--env E --service s`: stack `E.s` when the project has it.
 * 3. Otherwise stack `E` when it is a single-layout stack holding `s` (said in the output: `note`).
 * 4. Otherwise a usage error: what was looked for, what exists, how to create the service's stack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { serviceOfStackName, serviceStackName, shortStackName } from "../../contract/project";
import { configFromStackFile, stackConfigDirOf } from "../../contract/stackConfig";
import { ExitCode, ReleaseError } from "../core/errors";



export type Layout = "single" | "platform" | "service";

/** What the release needs to know of one stack of the project (from its `Pulumi.<stack>.yaml`). */
export interface StackFile {
    /** Stack name as in the file name: `production.checkout` for `Pulumi.production.checkout.yaml`. */
    name: string;
    /** `mesh-traffic:layout`, default `single`. */
    layout: Layout;
    /** Service keys of `mesh-traffic:services` (object keys, or a list of names on a platform stack). */
    services: string[];
    /** `mesh-traffic:platformStack` of a service stack, as written (may be `org/project/<env>`). */
    platformStack?: string;
    /** `gateway-api` when the stack sets `mesh-traffic:routingApi: gateway-api` (absent: Istio's API, the default). */
    routingApi?: "gateway-api";
}

/** The stack a command runs on, and the platform stack whose release policy it inherits. */
export interface Target {
    stack: string;
    layout: Layout;
    /** The platform stack's short name (last segment of `platformStack`), for a service stack. */
    platformStack?: string;
    /** Said to the user when the resolution was not the obvious one (single layout fallback). */
    note?: string;
}

export interface TargetRequest {
    /** `--stack`. */
    stack?: string;
    /** `--env`. */
    env?: string;
    /** `--service` (the `env` commands have none). */
    service?: string;
}

function usage(message: string, hint: string): ReleaseError {
    return new ReleaseError({ code: "USAGE", message, hint, exitCode: ExitCode.Usage });
}

/** The target of a command; see the file comment for the rules. Throws a USAGE ReleaseError. */
export function resolveTarget(req: TargetRequest, files: readonly StackFile[]): Target {
    const byName = new Map(files.map((f) => [f.name, f]));
    const targetOf = (file: StackFile | undefined, stack: string, note?: string): Target => {
        const platform = file?.layout === "service" && file.platformStack !== undefined ? shortStackName(file.platformStack) : undefined;
        return {
            stack,
            layout: file?.layout ?? "single",
            ...(platform !== undefined ? { platformStack: platform } : {}),
            ...(note !== undefined ? { note } : {}),
        };
    };
    if (req.stack !== undefined) {
        return targetOf(byName.get(shortStackName(req.stack)), req.stack);
    }
    const env = req.env;
    if (env === undefined) {
        throw usage("give --env <environment> (the service's stack is <env>.<service>) or --stack <name>", "e.g. --env production --service checkout");
    }
    const service = req.service;
    if (service === undefined) {
        const file = byName.get(env);
        if (file === undefined) {
            throw usage(`environment ${env} has no stack: the project has no Pulumi.${env}.yaml`, `create the platform stack: pulumi stack init ${env}, or check --cwd`);
        }
        return targetOf(file, env);
    }
    const own = serviceStackName(env, service);
    const ownFile = byName.get(own);
    if (ownFile !== undefined) {
        return targetOf(ownFile, own);
    }
    const envFile = byName.get(env);
    if (envFile !== undefined && envFile.layout === "single" && envFile.services.includes(service)) {
        return targetOf(envFile, env, `stack ${own} does not exist; using stack ${env} (single-stack layout), which holds service ${service}`);
    }
    const siblings = files.filter((f) => serviceOfStackName(env, f.name) !== undefined).map((f) => f.name);
    const found =
        envFile === undefined
            ? `the project has neither Pulumi.${own}.yaml nor Pulumi.${env}.yaml`
            : envFile.layout === "single"
              ? `stack ${env} (single-stack layout) has no service ${service} (it has: ${envFile.services.join(", ") || "none"})`
              : `stack ${env} is a ${envFile.layout} stack and there is no stack ${own}${siblings.length > 0 ? ` (service stacks of ${env}: ${siblings.join(", ")})` : ""}`;
    throw usage(
        `service ${service} has no stack in environment ${env}: ${found}`,
        `create it: pulumi stack init ${own}, then pulumi config set mesh-traffic:layout service and mesh-traffic:platformStack ${env} (docs/config-contract.md); or name the stack with --stack`,
    );
}

function layoutOf(value: unknown): Layout {
    return value === "platform" || value === "service" ? value : "single";
}

/**
 * One stack file's release-relevant keys, typed as the program reads them (contract/stackConfig.ts: `services` set
 * as JSON text is an object too). Pure. Unknown or malformed values read as the defaults.
 */
export function stackFileOf(name: string, doc: unknown): StackFile {
    const config = configFromStackFile(doc);
    const get = (key: string): unknown => (Object.hasOwn(config, key) ? config[key] : undefined);
    const rawServices = get("services");
    const services = Array.isArray(rawServices)
        ? rawServices.filter((s): s is string => typeof s === "string")
        : rawServices !== null && typeof rawServices === "object"
          ? Object.keys(rawServices)
          : [];
    const platform = get("platformStack");
    return {
        name,
        layout: layoutOf(get("layout")),
        services,
        ...(typeof platform === "string" && platform !== "" ? { platformStack: platform } : {}),
        ...(get("routingApi") === "gateway-api" ? { routingApi: "gateway-api" as const } : {}),
    };
}

/** Where the project in `workDir` keeps its stack files: Pulumi.yaml's `stackConfigDir`, else `workDir` itself. */
export function projectStackDir(workDir: string): string {
    let project: unknown;
    try {
        project = parse(fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8"));
    } catch {
        return workDir; // no or no readable Pulumi.yaml: the stack files' own reads say what is missing
    }
    const dir = stackConfigDirOf(project);
    return dir === undefined ? workDir : path.resolve(workDir, dir);
}

/** Every `Pulumi.<stack>.yaml` of the project in `workDir` (in its `stackConfigDir` when Pulumi.yaml sets one). */
export function readStackFiles(workDir: string): StackFile[] {
    const dir = projectStackDir(workDir);
    let names: string[];
    try {
        names = fs.readdirSync(dir);
    } catch {
        return [];
    }
    const out: StackFile[] = [];
    for (const file of names) {
        const m = /^Pulumi\.(.+)\.ya?ml$/.exec(file);
        if (m === null || m[1] === undefined) {
            continue;
        }
        let doc: unknown;
        try {
            doc = parse(fs.readFileSync(path.join(dir, file), "utf8"));
        } catch (err) {
            throw usage(`cannot read ${path.join(dir, file)}: ${err instanceof Error ? err.message : String(err)}`, "fix the YAML of that stack file");
        }
        out.push(stackFileOf(m[1], doc));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What a path names on disk, for the CLI's checks of `--cwd`, `--pulumi-root` and `--report` while parsing. */
export type PathKind = "directory" | "file" | "other" | "missing";

/** {@link PathKind} of `p` on this machine (symlinks followed). */
export function pathKindOnDisk(p: string): PathKind {
    try {
        const st = fs.statSync(p);
        return st.isDirectory() ? "directory" : st.isFile() ? "file" : "other";
    } catch {
        return "missing";
    }
}
