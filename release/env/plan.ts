/**
 * The environment fan-out's plan (`mesh-release env up|preview|status --env <env>`): which stacks of one
 * environment run, in which phases, in which order. Pure: the project's stacks and what the backend holds
 * come in, phases come out; release/env/run.ts runs them.
 *
 * Make before break (Istio delegation: a root route that delegates to a missing delegate VirtualService
 * sends its traffic nowhere):
 * 1. `make`: a service stack the backend does not hold yet goes up first (its delegate exists before the
 *    platform's root route points at it). Only when the platform stack is already deployed: a new
 *    environment has no live route to break, and its service stacks need the platform's outputs.
 * 2. `platform`: the platform stack (namespace, gateways, root routes: adds the new services' routes, drops
 *    the removed services').
 * 3. `update`: every other service stack (they read the platform's new outputs).
 * 4. `break`: a service stack the backend holds but the project no longer declares is destroyed, after the
 *    platform's root route to it is gone.
 * Within a phase the stacks run with bounded concurrency; phases run one after the other.
 *
 * With the Gateway API (the platform stack's `routingApi: gateway-api`) there is no delegation: the platform's routes
 * to a service are HTTPRoutes its service stack makes from the platform's output, so a new service stack goes up in
 * `update`, after the platform has added its route (no `make` phase); the `break` phase is as above.
 */
import { ExitCode, ReleaseError } from "../core/errors";
import { serviceOfStackName, shortStackName } from "../../contract/project";
import type { StackFile } from "./target";

export type EnvOp = "up" | "preview" | "status";
export const ENV_OPS: readonly EnvOp[] = ["up", "preview", "status"];

export type PhaseName = "make" | "platform" | "update" | "break";

/** What one stack gets: an update, a preview, a destroy, a preview of a destroy, or its status. */
export type StackOp = "up" | "preview" | "destroy" | "preview-destroy" | "status";

export interface PlannedStack {
    stack: string;
    /** The service of a service stack; undefined for the platform stack. */
    service?: string;
    op: StackOp;
}

export interface Phase {
    name: PhaseName;
    stacks: PlannedStack[];
}

export interface EnvPlan {
    env: string;
    op: EnvOp;
    phases: Phase[];
}

/** A stack the backend holds, with its resource count (0: created but never deployed). */
export interface DeployedStack {
    name: string;
    resourceCount: number;
}

/** The service stacks of `env` among the project's stacks: layout service, platformStack naming `env`. */
export function serviceStacksOf(env: string, files: readonly StackFile[]): StackFile[] {
    return files.filter((f) => f.layout === "service" && f.platformStack !== undefined && shortStackName(f.platformStack) === env);
}

/** The fan-out plan; throws a USAGE ReleaseError when `env` has no platform stack in the project. */
export function planEnv(env: string, op: EnvOp, files: readonly StackFile[], deployed: readonly DeployedStack[]): EnvPlan {
    const platform = files.find((f) => f.name === env);
    if (platform === undefined || platform.layout !== "platform") {
        const found = platform === undefined ? `the project has no Pulumi.${env}.yaml` : `stack ${env} has layout ${platform.layout}, not platform`;
        throw new ReleaseError({
            code: "USAGE",
            message: `environment ${env} has no platform stack: ${found}`,
            hint:
                platform?.layout === "single"
                    ? `a single-stack environment is one stack: pulumi up --stack ${env} (or migrate it to per-service stacks: README, "Migrating")`
                    : `create it: pulumi stack init ${env} && pulumi config set mesh-traffic:layout platform`,
            exitCode: ExitCode.Usage,
        });
    }
    const services = serviceStacksOf(env, files);
    const live = new Map(deployed.map((d) => [shortStackName(d.name), d.resourceCount]));
    const isLive = (stack: string): boolean => (live.get(stack) ?? 0) > 0;
    const svc = (f: StackFile, stackOp: StackOp): PlannedStack => ({ stack: f.name, service: f.services[0] ?? serviceOfStackName(env, f.name) ?? f.name, op: stackOp });
    const declared = new Set(services.map((f) => f.name));
    const removed = [...live.keys()].filter((name) => serviceOfStackName(env, name) !== undefined && isLive(name) && !declared.has(name)).sort();

    if (op === "status") {
        return {
            env,
            op,
            phases: [
                { name: "platform", stacks: [{ stack: env, op: "status" }] },
                { name: "update", stacks: services.map((f) => svc(f, "status")) },
            ],
        };
    }
    const apply: StackOp = op === "up" ? "up" : "preview";
    const platformLive = isLive(env);
    // Gateway API: a service stack attaches its own HTTPRoute to the platform's Gateway for the prefixes the platform
    // routes to it, so a new one goes up after the platform (nothing routes to it before: nothing breaks meanwhile).
    const fresh = platformLive && platform.routingApi !== "gateway-api" ? services.filter((f) => !isLive(f.name)) : [];
    const rest = services.filter((f) => !fresh.includes(f));
    const phases: Phase[] = [
        { name: "make", stacks: fresh.map((f) => svc(f, apply)) },
        { name: "platform", stacks: [{ stack: env, op: apply }] },
        { name: "update", stacks: rest.map((f) => svc(f, apply)) },
        { name: "break", stacks: removed.map((name) => ({ stack: name, service: serviceOfStackName(env, name) ?? name, op: op === "up" ? "destroy" : "preview-destroy" })) },
    ];
    return { env, op, phases: phases.filter((p) => p.stacks.length > 0) };
}
