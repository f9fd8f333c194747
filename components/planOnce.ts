/**
 * A component's plan run once per args object. The stack layer plans every component while it checks the config
 * (stacks/stackPlan.ts, through {@link planOnce}); the component's constructor then takes that plan
 * ({@link reusePlan}) instead of running it again. Pure: loads no Pulumi SDK.
 *
 * Why a constructor may trust a stored plan: a plan is stored only by running the component's own plan function (the
 * key) on that very args object, whose plain data is frozen first, so running it again could only give the same
 * result; the constructor still throws the stored plan's problems and logs its warnings. Args a package user builds
 * are never stored (nothing but {@link planOnce} stores), so a component used on its own runs every check as before.
 */

type Named<A, P> = (name: string, args: A) => P;
type Unnamed<A, P> = (args: A) => P;
/** A plan function, the key a plan is stored under (with the component's name). */
type AnyPlan = Named<never, unknown> | Unnamed<never, unknown>;

/** args object -> plan function -> component name -> plan. */
const stored = new WeakMap<object, Map<AnyPlan, Map<string, unknown>>>();

/** Freezes the plain data of `value` (objects with the plain prototype, arrays) and returns it; registries and other instances stay as they are. */
export function freezePlain<T>(value: T): T {
    if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
    const proto: unknown = Object.getPrototypeOf(value);
    if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
    Object.freeze(value);
    for (const v of Object.values(value)) freezePlain(v);
    return value;
}

function lookup<P>(plan: AnyPlan, args: object, name: string): P | undefined {
    return stored.get(args)?.get(plan)?.get(name) as P | undefined;
}

/**
 * The plan of `args`: the one stored for this plan function, name and args object, else run and stored (and the
 * args' plain data frozen, so the plan stays theirs). The stack layer's way to plan a component.
 */
export function planOnce<A extends object, P>(plan: Unnamed<A, P>, args: A): P;
export function planOnce<A extends object, P>(plan: Named<A, P>, args: A, name: string): P;
export function planOnce<A extends object, P>(plan: Named<A, P> | Unnamed<A, P>, args: A, name?: string): P {
    const key = name ?? "";
    const found = lookup<P>(plan as AnyPlan, args, key);
    if (found !== undefined) return found;
    freezePlain(args);
    const result = name === undefined ? (plan as Unnamed<A, P>)(args) : (plan as Named<A, P>)(name, args);
    let byPlan = stored.get(args);
    if (byPlan === undefined) {
        byPlan = new Map();
        stored.set(args, byPlan);
    }
    let byName = byPlan.get(plan as AnyPlan);
    if (byName === undefined) {
        byName = new Map();
        byPlan.set(plan as AnyPlan, byName);
    }
    byName.set(key, result);
    return result;
}

/**
 * The plan a component's constructor uses: the one {@link planOnce} stored for these args (the stack's), else the
 * plan run now and not stored (a package user's args).
 */
export function reusePlan<A extends object, P>(plan: Unnamed<A, P>, args: A): P;
export function reusePlan<A extends object, P>(plan: Named<A, P>, args: A, name: string): P;
export function reusePlan<A extends object, P>(plan: Named<A, P> | Unnamed<A, P>, args: A, name?: string): P {
    const found = lookup<P>(plan as AnyPlan, args, name ?? "");
    if (found !== undefined) return found;
    return name === undefined ? (plan as Unnamed<A, P>)(args) : (plan as Named<A, P>)(name, args);
}
