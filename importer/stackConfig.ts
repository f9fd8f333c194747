/**
 * The importer's output, pure: the fragment to paste under `config:` of a `Pulumi.<stack>.yaml`
 * ({@link renderFragment}), and the routing merged into a stack's settings file through the `yaml` library's
 * document model, so its comments, order and other keys (`secure:` values too) stay as they are
 * ({@link mergeRouting}). The file is read and written by ./files.ts.
 */
import { Document, isMap, isScalar, parse, parseDocument, visit, type Node } from "yaml";
import { PROJECT } from "../contract/project";
import { configFromStackFile } from "../contract/stackConfig";
import type { RoutingKey } from "./parse";
import type { ImportProblem, Origin } from "./problems";
import type { RoutingConfig } from "./toConfig";

/** The settings file's key for the routing config. */
export const ROUTING_CONFIG_KEY = `${PROJECT}:routing`;

/**
 * Quotes every string scalar under `node` that a YAML 1.1 reader would take for something else (`on`, `yes`, `y`,
 * `0777`, `1:20`): Pulumi reads `on` as a string, a person or tool reading the file as kubectl does would not.
 */
function quoteAmbiguous(node: unknown): void {
    visit(node as Node, {
        Scalar(_key, scalar) {
            if (typeof scalar.value !== "string" || scalar.value.includes("\n")) {
                return;
            }
            let as11: unknown;
            try {
                as11 = parse(scalar.value, { version: "1.1" });
            } catch {
                as11 = undefined; // not plain YAML at all: quoted either way
            }
            if (as11 !== scalar.value) {
                scalar.type = "QUOTE_DOUBLE";
            }
        },
    });
}

/** The YAML to paste under `config:` (indented by two spaces, as it stands there): `mesh-traffic:routing: ...`. */
export function renderFragment(routing: RoutingConfig): string {
    const doc = new Document({ [ROUTING_CONFIG_KEY]: routing });
    quoteAmbiguous(doc.contents);
    const text = doc.toString({ lineWidth: 0 });
    return text
        .split("\n")
        .map((line) => (line === "" ? line : `  ${line}`))
        .join("\n");
}

/** What the importer needs to know of the stack it writes to. */
export interface StackFacts {
    /** `mesh-traffic:layout`, default `single`. */
    layout: string;
    /** `mesh-traffic:namespace`, when set as plain text. */
    namespace?: string;
    /** `mesh-traffic:platformStack` of a service stack. */
    platformStack?: string;
}

/** A top-level key's value as the program reads it (contract/stackConfig.ts), when it is text. */
const plainText = (config: Readonly<Record<string, unknown>>, key: string): string | undefined => {
    const v = Object.hasOwn(config, key) ? config[key] : undefined;
    return typeof v === "string" ? v : undefined;
};

/** A stack's settings file parsed, or why it cannot be edited here. */
export function parseStackFile(text: string, file: string): { doc: Document; facts: StackFacts } | { problem: ImportProblem } {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) {
        return { problem: { what: `${file} is not valid YAML: ${doc.errors[0]?.message.split("\n")[0] ?? ""}`, fix: `correct ${file} (pulumi config shows the same error)` } };
    }
    const config = doc.get("config");
    if (config !== undefined && config !== null && !isMap(config)) {
        return { problem: { what: `config in ${file} is not a mapping`, fix: `make config a mapping of keys (pulumi config set writes one)` } };
    }
    const routing = doc.getIn(["config", ROUTING_CONFIG_KEY], true);
    if (routing !== undefined && !isMap(routing) && !(isScalar(routing) && routing.value === null)) {
        return {
            problem: {
                what: `${ROUTING_CONFIG_KEY} in ${file} is not a YAML mapping (it is set as text), so objects cannot be added to it one by one`,
                fix: `write it as a mapping (virtualServices:, destinationRules:, ...), or remove it (pulumi config rm routing) and import everything it held with the rest`,
            },
        };
    }
    const typed = configFromStackFile(doc.toJS());
    const layout = plainText(typed, "layout") ?? "single";
    const namespace = plainText(typed, "namespace");
    const platformStack = plainText(typed, "platformStack");
    return { doc, facts: { layout, ...(namespace !== undefined ? { namespace } : {}), ...(platformStack !== undefined ? { platformStack } : {}) } };
}

/** The stack's routing objects as a plain object (empty when it has none). */
export function stackRouting(doc: Document): RoutingConfig {
    const v: unknown = doc.getIn(["config", ROUTING_CONFIG_KEY]);
    return (typeof v === "object" && v !== null ? v : {}) as RoutingConfig;
}

/**
 * Adds every object of `routing` to the stack's `routing` key in `doc` (in place). An object the stack already
 * holds under the same kind and name is a problem at `originOf`'s place, unless `replace`: then it is replaced,
 * and named in `replaced`.
 */
export function mergeRouting(
    doc: Document,
    routing: RoutingConfig,
    opts: { replace: boolean; stack: string; originOf: (key: RoutingKey, name: string) => Origin | undefined },
): { problems: ImportProblem[]; replaced: string[] } {
    const problems: ImportProblem[] = [];
    const replaced: string[] = [];
    for (const [key, byName] of Object.entries(routing) as [RoutingKey, Record<string, unknown>][]) {
        for (const name of Object.keys(byName)) {
            const at = ["config", ROUTING_CONFIG_KEY, key, name];
            if (!doc.hasIn(at)) {
                continue;
            }
            if (opts.replace) {
                replaced.push(`routing.${key}.${name}`);
                continue;
            }
            const origin = opts.originOf(key, name);
            problems.push({
                ...(origin !== undefined ? { origin } : {}),
                what: `stack ${opts.stack} already holds routing.${key}.${name}`,
                fix: `pass --replace to replace it with the imported one, or rename one of them`,
            });
        }
    }
    if (problems.length > 0) {
        return { problems, replaced: [] };
    }
    if (!isMap(doc.get("config"))) {
        doc.set("config", doc.createNode({}));
    }
    if (!isMap(doc.getIn(["config", ROUTING_CONFIG_KEY], true))) {
        doc.setIn(["config", ROUTING_CONFIG_KEY], doc.createNode({}));
    }
    for (const [key, byName] of Object.entries(routing) as [RoutingKey, Record<string, unknown>][]) {
        if (!isMap(doc.getIn(["config", ROUTING_CONFIG_KEY, key], true))) {
            doc.setIn(["config", ROUTING_CONFIG_KEY, key], doc.createNode({}));
        }
        for (const [name, spec] of Object.entries(byName)) {
            const node = doc.createNode(spec);
            quoteAmbiguous(node);
            doc.setIn(["config", ROUTING_CONFIG_KEY, key, name], node);
        }
    }
    return { problems, replaced };
}
