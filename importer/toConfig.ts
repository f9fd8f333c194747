/**
 * The objects read by ./parse.ts -> the stack's `routing` key (routing-spec: objects keyed by name under
 * virtualServices, destinationRules, serviceEntries, gateways, sidecars; spec verbatim). Pure. Refused here, every
 * one at once: two objects of one kind with one name, and objects of a namespace other than the stack's.
 */
import { setOwn } from "../components/ownKeys";
import type { ImportedObject, RoutingKey } from "./parse";
import { ROUTING_KEYS } from "../contract/istioKinds";
import { describeOrigin, type ImportProblem } from "./problems";

/** The `routing` key's value: per kind, object name -> spec. */
export type RoutingConfig = Partial<Record<RoutingKey, Record<string, Record<string, unknown>>>>;

/** The namespace the stack's objects are created in, and where the importer took it from (for messages). */
export interface TargetNamespace {
    name: string;
    /** `--namespace`, `stack dev's namespace`. */
    from: string;
}

export interface ToRoutingResult {
    routing: RoutingConfig;
    /** The namespace the objects go to: the target given, else the objects' own single namespace, else undefined. */
    namespace: string | undefined;
    problems: ImportProblem[];
}

/** Namespaces of the objects that name one, in first-seen order. */
function namespacesOf(objects: readonly ImportedObject[]): string[] {
    return [...new Set(objects.flatMap((o) => (o.namespace !== undefined ? [o.namespace] : [])))];
}

/** The routing config of `objects`; `target` is the namespace given (`--namespace` or the stack's). */
export function toRouting(objects: readonly ImportedObject[], target: TargetNamespace | undefined): ToRoutingResult {
    const problems: ImportProblem[] = [];
    const routing: RoutingConfig = {};
    const first = new Map<string, ImportedObject>();
    const namespaces = namespacesOf(objects);
    for (const o of objects) {
        if (o.namespace !== undefined && target !== undefined && o.namespace !== target.name) {
            problems.push({
                origin: o.origin,
                what: `metadata.namespace is ${JSON.stringify(o.namespace)}, and the stack's objects are all in namespace ${JSON.stringify(target.name)} (${target.from})`,
                fix: `import it for a stack of namespace ${o.namespace} (--namespace ${o.namespace}, or --stack with that stack), or remove its metadata.namespace if it belongs in ${target.name}`,
            });
        } else if (o.namespace !== undefined && target === undefined && namespaces.length > 1) {
            problems.push({
                origin: o.origin,
                what: `metadata.namespace is ${JSON.stringify(o.namespace)}, and the input spans namespaces ${namespaces.join(", ")}; one stack's objects are all in one namespace`,
                fix: "import each namespace's objects on their own, for their own stack (split the files; --namespace <ns> names the one expected)",
            });
        }
        const key = `${o.kind}/${o.name}`;
        const earlier = first.get(key);
        if (earlier !== undefined) {
            problems.push({
                origin: o.origin,
                what: `a second ${o.kind} named ${o.name} (the first: ${describeOrigin(earlier.origin)}); the routing key holds one ${o.kind} per name, as the cluster does (kubectl apply would replace the first with this one)`,
                fix: `keep one of the two, or rename one of them (and every reference to it)`,
            });
            continue;
        }
        first.set(key, o);
        const plural = ROUTING_KEYS[o.kind];
        const byName = routing[plural] ?? {};
        setOwn(byName, o.name, o.spec);
        routing[plural] = byName;
    }
    const namespace = target?.name ?? (namespaces.length === 1 ? namespaces[0] : undefined);
    // the kinds in the routing key's order, whatever the input's
    const ordered: RoutingConfig = {};
    for (const key of Object.values(ROUTING_KEYS)) {
        const byName = routing[key];
        if (byName !== undefined) {
            ordered[key] = byName;
        }
    }
    return { routing: ordered, namespace, problems };
}

/** How many objects a routing config holds. */
export const objectCount = (routing: RoutingConfig): number => Object.values(routing).reduce((n, byName) => n + Object.keys(byName ?? {}).length, 0);
