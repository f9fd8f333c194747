/**
 * `mesh-release import <files or -> ...`: existing Istio YAML -> the stack's `routing` key. The command's whole
 * implementation; release/cli/program.ts only declares its options and calls {@link runImport}. Steps: read the inputs
 * (./files.ts), parse them (./parse.ts), key them by kind and name (./toConfig.ts), check what would be written
 * with the Pulumi program's own config check (./check.ts: what it writes, `pulumi up` accepts), then print the fragment to paste under `config:` or
 * merge it into `Pulumi.<stack>.yaml` (./stackConfig.ts). Every problem is named at once (exit 2), with where it
 * is, what and why, and the fix; nothing is written then.
 */
import * as path from "node:path";
import { shortStackName } from "../contract/project";
import { stackConfigSchema } from "../contract/schema";
import { ExitCode } from "../release/core/errors";
import type { Write } from "../release/reporters/types";
import { plainStackConfig } from "../contract/stackConfig";
import { checkPlatformRouting, checkRouting } from "./check";
import { readServiceStacks, readSources, readStackFile, writeStackFile } from "./files";
import { ROUTING_KEYS } from "../contract/istioKinds";
import { isRoutingName, labelLike, parseSources, type ImportedObject, type RoutingKey } from "./parse";
import { describeOrigin, formatRefusal, type ImportProblem } from "./problems";
import type { Document } from "yaml";
import { mergeRouting, parseStackFile, renderFragment, type StackFacts } from "./stackConfig";
import { objectCount, toRouting, type RoutingConfig, type TargetNamespace } from "./toConfig";

/** The namespace of a stack that sets none (the schema's default). */
const DEFAULT_NAMESPACE: string = stackConfigSchema.shape.namespace.parse(undefined);

/** The layouts whose stacks hold `routing` (a service stack's routing is its platform stack's). */
export const IMPORT_LAYOUTS = ["single", "platform"] as const;
export type ImportLayout = (typeof IMPORT_LAYOUTS)[number];

/** What `mesh-release import` was asked to do. */
export interface ImportRequest {
    /** Input files as given (relative to `cwd`); `-` is standard input. */
    files: string[];
    /** Where relative input paths are resolved. */
    cwd: string;
    /** The Pulumi project directory (`--cwd`/`--work-dir`), where `Pulumi.<stack>.yaml` is. */
    workDir: string;
    /** `--stack`: merge into this stack's settings file instead of printing the fragment. */
    stack?: string;
    /** `--namespace`: the namespace the stack's objects are in. */
    namespace?: string;
    /** `--layout`: the layout of the stack the routing is for (with `--stack`: must be the stack's). */
    layout?: ImportLayout;
    skipUnsupported: boolean;
    /** Replace the stack's routing objects of the same kind and name. */
    replace: boolean;
}

export interface ImportIO {
    stdout: Write;
    stderr: Write;
    /** Standard input, for `-`; absent where there is none. */
    readStdin?: () => Promise<string>;
}

/** The command's help, after its options. */
export const IMPORT_HELP =
    "\nReads VirtualService, DestinationRule, Gateway, ServiceEntry and Sidecar (networking.istio.io v1, v1beta1, v1alpha3; multi-document files, kind: List)\n" +
    "and writes the stack config that makes the same objects: the `routing` key, objects by name, spec verbatim.\n" +
    "Without --stack it prints the fragment to paste under `config:` of Pulumi.<stack>.yaml; with --stack it merges it into that file.\n" +
    "Per-service layout (--layout platform): the routing goes to the platform stack (<env>), never to a service stack (<env>.<service>).\n" +
    "Refused, all listed at once (exit 2): kinds it cannot hold, objects without a valid name, two of one kind with one name,\n" +
    "another namespace than the stack's, and specs the stack config check refuses.\n" +
    "Examples: mesh-release import samples/bookinfo/networking/bookinfo-gateway.yaml\n" +
    "          mesh-release import --stack dev --skip-unsupported app.yaml routes.yaml";

/** The problems of the command's own options (the common ones are release/cli/options.ts's), for exit 2 while parsing. */
export function importOptionProblems(o: { files: readonly string[]; namespace?: string; stack?: string; replace?: boolean }): { propertyPath: string; reason: string }[] {
    const problems: { propertyPath: string; reason: string }[] = [];
    if (o.namespace !== undefined && !isRoutingName(o.namespace)) {
        problems.push({
            propertyPath: "--namespace",
            reason: `--namespace is ${JSON.stringify(o.namespace)}; it must be a namespace name (a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters), such as ${labelLike(o.namespace)}`,
        });
    }
    if (o.replace === true && o.stack === undefined) {
        problems.push({ propertyPath: "--replace", reason: "--replace replaces routing objects of the stack given with --stack; give --stack <name> too, or leave --replace out" });
    }
    if (o.files.filter((f) => f === "-").length > 1) {
        problems.push({ propertyPath: "<files>", reason: "- (standard input) is given more than once; standard input is read once: give - once" });
    }
    return problems;
}

/** `3 VirtualServices, 1 Gateway`. */
function countText(routing: RoutingConfig): string {
    const kinds = Object.entries(ROUTING_KEYS).flatMap(([kind, key]) => {
        const n = Object.keys(routing[key] ?? {}).length;
        return n === 0 ? [] : [`${n} ${n === 1 ? kind : kind === "ServiceEntry" ? "ServiceEntries" : `${kind}s`}`];
    });
    return kinds.join(", ");
}

/** Runs the command to its exit code; see the file comment. Never throws. */
export async function runImport(req: ImportRequest, io: ImportIO): Promise<ExitCode> {
    const refuse = (problems: readonly ImportProblem[]): ExitCode => {
        io.stderr(formatRefusal(problems));
        return ExitCode.Usage;
    };
    const noStdin = (): Promise<string> => Promise.reject(new Error("standard input is not available here"));
    const read = await readSources(req.files, req.cwd, io.readStdin ?? noStdin);
    const parsed = parseSources(read.sources, { skipUnsupported: req.skipUnsupported });
    const problems: ImportProblem[] = [...read.problems, ...parsed.problems];

    // The stack written to: its file, layout and namespace.
    let stack: { name: string; file: string; doc: Document; facts: StackFacts } | undefined;
    if (req.stack !== undefined) {
        const file = readStackFile(req.workDir, req.stack);
        const opened = "problem" in file ? file : parseStackFile(file.text, path.basename(file.file));
        if ("problem" in opened) {
            problems.push(opened.problem);
        } else if (!("problem" in file)) {
            stack = { name: req.stack, file: file.file, doc: opened.doc, facts: opened.facts };
            problems.push(...layoutProblems(req, opened.facts));
        }
    }
    const target: TargetNamespace | undefined =
        req.namespace !== undefined
            ? { name: req.namespace, from: "--namespace" }
            : stack !== undefined
              ? { name: stack.facts.namespace ?? DEFAULT_NAMESPACE, from: `stack ${stack.name}'s namespace${stack.facts.namespace === undefined ? ", the default" : ""}` }
              : undefined;
    const keyed = toRouting(parsed.objects, target);
    problems.push(...keyed.problems);
    if (problems.length === 0 && parsed.objects.length === 0) {
        problems.push({
            what: `the input holds no VirtualService, DestinationRule, ServiceEntry, Gateway or Sidecar${parsed.skipped.length > 0 ? ` (${parsed.skipped.length} other objects skipped)` : ""}`,
            fix: "give the files that hold the Istio routing (networking.istio.io objects)",
        });
    }
    const originOf = (key: RoutingKey, name: string): ImportedObject["origin"] | undefined => parsed.objects.find((o) => ROUTING_KEYS[o.kind] === key && o.name === name)?.origin;

    // What would be written, through the Pulumi program's own check (only once the input itself is fine).
    let merged: { replaced: string[] } | undefined;
    let problemsBefore = 0;
    if (problems.length === 0 && stack !== undefined) {
        const before = plainStackConfig(stack.doc.toJS());
        const m = mergeRouting(stack.doc, keyed.routing, { replace: req.replace, stack: stack.name, originOf });
        problems.push(...m.problems);
        if (m.problems.length === 0) {
            const after = plainStackConfig(stack.doc.toJS());
            const checked =
                stack.facts.layout === "platform"
                    ? checkPlatformRouting(stack.name, before, after, readServiceStacks(req.workDir, shortStackName(stack.name)), originOf)
                    : checkRouting(before, after, originOf);
            problems.push(...checked.problems);
            problemsBefore = checked.before;
            merged = m;
        }
    } else if (problems.length === 0) {
        const base = { layout: req.layout ?? "single", ...(keyed.namespace !== undefined ? { namespace: keyed.namespace } : {}) };
        problems.push(...checkRouting(base, { ...base, routing: keyed.routing }, originOf).problems);
    }
    if (problems.length > 0) {
        return refuse(problems);
    }

    for (const s of parsed.skipped) {
        io.stderr(`mesh-release import: skipped ${describeOrigin(s.origin)}: ${s.why}\n`);
    }
    for (const note of parsed.notes) {
        io.stderr(`mesh-release import: ${note}\n`);
    }
    const what = `${objectCount(keyed.routing)} objects (${countText(keyed.routing)})`;
    if (stack !== undefined && merged !== undefined) {
        if (problemsBefore > 0) {
            io.stderr(`mesh-release import: stack ${stack.name}'s config had ${problemsBefore} problem${problemsBefore === 1 ? "" : "s"} before the import (none of them the import's): pulumi preview --stack ${stack.name} names them\n`);
        }
        try {
            writeStackFile(stack.file, stack.doc.toString({ lineWidth: 0 }));
        } catch (e) {
            io.stderr(`mesh-release import: cannot write ${stack.file}: ${e instanceof Error ? e.message : String(e)}\n`);
            return ExitCode.Infrastructure;
        }
        io.stdout(
            `mesh-release import: ${what} written to ${stack.file} under mesh-traffic:routing` +
                `${merged.replaced.length > 0 ? `, replacing ${merged.replaced.join(", ")}` : ""}; pulumi preview --stack ${stack.name} shows what they change\n`,
        );
        return ExitCode.Ok;
    }
    io.stdout(renderFragment(keyed.routing));
    const ns = keyed.namespace !== undefined ? `; the stack's namespace must be ${keyed.namespace} (pulumi config set namespace ${keyed.namespace})` : "";
    const where = (req.layout ?? "single") === "platform" ? "of the platform stack (Pulumi.<env>.yaml; never a service stack's)" : "of Pulumi.<stack>.yaml";
    io.stderr(`mesh-release import: ${what}: paste the fragment under config: ${where}, or run again with --stack <name>${ns}\n`);
    return ExitCode.Ok;
}

/** A service stack holds no routing; `--layout` must be the stack's. */
function layoutProblems(req: ImportRequest, facts: StackFacts): ImportProblem[] {
    const stackName = req.stack ?? "";
    if (facts.layout === "service") {
        const platform = facts.platformStack ?? "<env>";
        return [
            {
                what: `stack ${stackName} is a service stack (layout: service): its routing is only its service's route table (routing.virtualServices.<service>, ending with { release: <service> }), which Istio YAML is not; in the per-service layout imported objects belong to the platform stack (${platform})`,
                fix: `import into the platform stack: --stack ${platform.slice(platform.lastIndexOf("/") + 1)}`,
            },
        ];
    }
    if (req.layout !== undefined && req.layout !== facts.layout) {
        return [{ what: `--layout is ${req.layout}, and stack ${stackName}'s layout is ${facts.layout}`, fix: `leave --layout out (the stack's layout is used), or name a stack of layout ${req.layout}` }];
    }
    return [];
}
