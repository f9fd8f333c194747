/**
 * Input-typed component args (issue 20). A component's args accept `pulumi.Input` at every level (`DeepInput`), so one
 * resource's output feeds another (`namespace: ns.metadata.name`); its plan checks the plain form (`Plain`).
 * `PlannedArgs.check` runs the plan: on every value known at construction, before the component or any child exists
 * (one `MeshValidationError` with every problem, as before); on the whole args when the rest resolves (the same error,
 * thrown inside the Output every child's inputs come from, so the update fails and nothing of the component is
 * registered). Fully plain args (the stack program's) take the first path only and give children plain inputs, the
 * objects they had before.
 *
 * Args that decide which children exist or their names (a flag, the versions of `Workloads`, an egress host) are
 * plain: an Output is only known after the children are registered (STYLE: "a flag that decides whether a resource
 * exists is a plain boolean"). An Output there is a problem at construction naming the arg.
 */
import * as pulumi from "@pulumi/pulumi";
import { escapeRegExp, formatPath } from "../contract/paths";
import { DestinationRuleClaims } from "./destinationRuleClaims";
import { MeshValidationError } from "./meshValidationError";
import type { Problem } from "./validation";

/** Arg values that are not data (the one-DestinationRule-per-host registry): passed as they are, never unwrapped. */
type Opaque = DestinationRuleClaims;

type DeepShape<T> = T extends readonly (infer E)[] ? DeepInput<E>[] : T extends object ? { [K in keyof T]: DeepInput<T[K]> } : T;

/** `T` with `pulumi.Input` at every level: `string[]` accepts `Output<string[]>`, `[Output<string>]`, `["a"]`. */
export type DeepInput<T> = [NonNullable<T>] extends [Opaque] ? T : pulumi.Input<DeepShape<T>>;

/** The plain form of Input-typed args: what a component's plan checks once every value is known. */
export type Plain<T> = T extends Opaque
    ? T
    : T extends pulumi.OutputInstance<infer U>
      ? Plain<U>
      : T extends Promise<infer U>
        ? Plain<U>
        : T extends readonly (infer E)[]
          ? Plain<E>[]
          : T extends object
            ? { [K in keyof T]: Plain<T[K]> }
            : T;

/** A value that resolves later: an Output or a promise. */
function resolvesLater(v: unknown): boolean {
    return pulumi.Output.isInstance(v) || (typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function");
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const proto: unknown = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

interface Leaf {
    at: (string | number)[];
    path: string;
    value: unknown;
}

/** A copy of `value` with every value that resolves later replaced by undefined; `leaves` gets where they were. */
function mask(value: unknown, at: (string | number)[], leaves: Leaf[]): unknown {
    if (resolvesLater(value)) {
        leaves.push({ at, path: formatPath(at), value });
        return undefined;
    }
    if (Array.isArray(value)) return value.map((v, i) => mask(v, [...at, i], leaves));
    if (isPlainObject(value)) {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(value)) out[k] = mask(value[k], [...at, k], leaves);
        return out;
    }
    return value;
}

function setAt(target: unknown, at: readonly (string | number)[], value: unknown): void {
    let cur = target as Record<string | number, unknown>;
    for (const seg of at.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
    cur[at[at.length - 1] as string | number] = value;
}

/** `a` is `b` or inside it, or `b` inside `a` (paths as formatPath writes them). */
function related(a: string, b: string): boolean {
    const within = (p: string, prefix: string) => p.startsWith(prefix) && (p.length === prefix.length || p[prefix.length] === "." || p[prefix.length] === "[");
    return within(a, b) || within(b, a);
}

/** A path with its indexes dropped: `versions[1].version` -> `versions[].version` (how structural paths are written). */
function shapeOf(path: string): string {
    return path.replace(/\[\d+\]/g, "[]");
}

/** The `i`th item of a plan's list, which the plan of the known args had too (their number and names are plain args). */
export function itemOf<T>(list: readonly T[], i: number, what: string): T {
    const item = list[i];
    if (item === undefined) throw new Error(`${what}[${i}] is missing from the plan of the resolved args: the args that decide it must be plain values`);
    return item;
}

/**
 * The error as the engine prints it: every child's inputs fail with this one error, and the SDK prefixes
 * `error serializing property "<key>": ` onto an input's error each time one fails (rpc.js), once per child. The
 * message stays the component's own, the one a plain bad value gives.
 */
function keepMessage<E extends Error>(err: E): E {
    const message = err.message;
    Object.defineProperty(err, "message", { get: () => message, set: () => undefined, enumerable: false, configurable: true });
    return err;
}

/** What {@link PlannedArgs.check} needs besides the args. */
export interface PlanOptions<A, P> {
    /** The component's type token and name, for the error. */
    token: string;
    name: string;
    /** The component's pure plan. */
    plan: (args: A) => P;
    /**
     * Paths (indexes as `[]`) of args that decide which children exist or their names: they must be plain. A value
     * that resolves later at one of them, or at a parent of one, is a problem at construction.
     */
    structural?: readonly string[];
    /** The args hold a `claims` registry: checks before the values resolve claim nothing (they run on a copy). */
    claims?: boolean;
    /** The path the plan's problems name for an arg path, when the plan's paths have another root. Default: the same. */
    problemPath?: (argPath: string) => string;
}

interface Checked<A, P> {
    args: A;
    plan: P;
}

/**
 * A component's args checked by its plan: `now` when every value is known at construction, else `later` (an Output
 * that fails with the component's `MeshValidationError` when the resolved args have problems). `shape` is the plan
 * of what is known (all of it, or the args with the later values left out): which children exist and their names.
 */
export class PlannedArgs<A, P extends { problems: Problem[]; warnings?: string[] }> {
    private resource: pulumi.Resource | undefined;

    private constructor(
        private readonly known: P | undefined,
        private readonly now: Checked<A, P> | undefined,
        private readonly later: pulumi.Output<Checked<A, P>> | undefined,
        private readonly where?: { token: string; name: string; pending: string[] },
    ) {}

    /**
     * The plan of what is known at construction: which children exist and their names (decided by plain args only).
     * Throws the component's error when the plan cannot run before the later values resolve.
     */
    public get shape(): P {
        if (this.known !== undefined) return this.known;
        const w = this.where as { token: string; name: string; pending: string[] };
        throw new MeshValidationError(w.token, w.name, [
            {
                propertyPath: w.pending[0] ?? "",
                reason: `${w.pending.join(", ")} ${w.pending.length === 1 ? "is an Output" : "are Outputs"} around values that decide which resources ${w.token} creates; pass the object as plain values (Outputs inside it are fine)`,
            },
        ]);
    }

    /**
     * Checks what is known now and throws the component's error with every problem found, before anything is
     * registered; the rest is checked when it resolves. Call before `super(...)`.
     */
    public static check<I, A, P extends { problems: Problem[]; warnings?: string[] }>(args: I, options: PlanOptions<A, P>): PlannedArgs<A, P> {
        const leaves: Leaf[] = [];
        const masked = mask(args, [], leaves) as A;
        if (leaves.length === 0) {
            // Every value is plain: the plan of the args as given (the stack program's path).
            const plan = options.plan(args as unknown as A);
            PlannedArgs.throwIf(options, plan.problems);
            return new PlannedArgs<A, P>(plan, { args: args as unknown as A, plan }, undefined);
        }
        const structural = options.structural ?? [];
        const problems: Problem[] = leaves
            .filter((l) => structural.some((s) => related(shapeOf(l.path), s) && !shapeOf(l.path).startsWith(`${s}.`) && !shapeOf(l.path).startsWith(`${s}[`)))
            .map((l) => ({
                propertyPath: l.path,
                reason: `${l.path} is ${pulumi.Output.isInstance(l.value) ? "an Output" : "a Promise"}; it must be a plain value: it decides which resources ${options.token} creates and their names`,
            }));
        PlannedArgs.throwIf(options, problems);
        // The plan of what is known, on a copy of the DestinationRule registry; a problem that may depend on a later
        // value (at it, inside it, around it, or naming it) waits for the value.
        const early = options.claims === true ? PlannedArgs.withForkedClaims(masked) : masked;
        const problemPaths = leaves.map((l) => (options.problemPath ?? ((p: string) => p))(l.path));
        const mention = new RegExp(`(^|[^\\w.\\[\\]-])(?:${problemPaths.map(escapeRegExp).join("|")})(?![\\w-])`);
        let shape: P | undefined;
        try {
            shape = options.plan(early);
        } catch (err) {
            // A plan that cannot run without a later value (a whole object that is an Output): its problems wait for
            // the values. Anything but a TypeError is a bug, reported as is.
            if (!(err instanceof TypeError)) throw err;
            shape = undefined;
        }
        PlannedArgs.throwIf(
            options,
            (shape?.problems ?? []).filter((p) => !problemPaths.some((l) => related(p.propertyPath, l)) && !mention.test(p.reason)),
        );
        const pending = leaves.map((l) => l.path);
        const holder: { planned?: PlannedArgs<A, P> } = {};
        const later = pulumi.all(leaves.map((l) => l.value)).apply((values) => {
            const resolved = mask(args, [], []) as A;
            leaves.forEach((l, i) => setAt(resolved, l.at, values[i]));
            const plan = options.plan(resolved);
            if (plan.problems.length > 0) throw keepMessage(new MeshValidationError(options.token, options.name, plan.problems, true));
            holder.planned?.warn(plan.warnings ?? []);
            return { args: resolved, plan };
        });
        const planned = new PlannedArgs<A, P>(shape, undefined, later, { token: options.token, name: options.name, pending });
        holder.planned = planned;
        return planned;
    }

    private static throwIf<A, P>(options: PlanOptions<A, P>, problems: Problem[]): void {
        if (problems.length > 0) throw new MeshValidationError(options.token, options.name, problems);
    }

    private static withForkedClaims<A>(masked: A): A {
        const own = (masked as { claims?: DestinationRuleClaims }).claims;
        return { ...masked, claims: (own ?? DestinationRuleClaims.global).fork() };
    }

    /** The component, once constructed: logs the plan's warnings on it (now, or when the args resolve). */
    public attach(resource: pulumi.Resource): void {
        this.resource = resource;
        if (this.now !== undefined) this.warn(this.now.plan.warnings ?? []);
    }

    private warn(warnings: readonly string[]): void {
        for (const w of warnings) void pulumi.log.warn(w, this.resource);
    }

    /** A child's input from the checked args and plan: plain when every arg was, else an Output. */
    public map<U>(f: (args: A, plan: P) => U): pulumi.Input<U> {
        if (this.now !== undefined) return f(this.now.args, this.now.plan);
        return (this.later as pulumi.Output<Checked<A, P>>).apply((c) => f(c.args, c.plan)) as pulumi.Input<U>;
    }

    /** A component output from the checked args and plan. */
    public output<U>(f: (args: A, plan: P) => U): pulumi.Output<pulumi.Unwrap<U>> {
        return pulumi.output(this.map(f));
    }
}
