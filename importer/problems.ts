/**
 * What the importer says about its input: where a thing is (file, document, List item, kind and name) and, for a
 * refusal, what is wrong, why, and the fix. Pure.
 */

/** Where an object (or a document that is not one) sits in the input. */
export interface Origin {
    /** The file as given on the command line; `<stdin>` for `-`. */
    file: string;
    /** 1-based index of the YAML document in the file. */
    doc: number;
    /** 1-based index in the `items` of a `kind: List` document. */
    item?: number;
    /** The object's `kind`, when it has one. */
    kind?: string;
    /** The object's `metadata.name`, when it has one. */
    name?: string;
}

/** One reason the import is refused. `origin` is absent for a problem of the input as a whole. */
export interface ImportProblem {
    origin?: Origin;
    /** What is wrong and why (names the value and the rule). */
    what: string;
    /** What to do about it. */
    fix: string;
}

/** An object left out in `--skip-unsupported` mode, and why. */
export interface Skipped {
    origin: Origin;
    why: string;
}

/** `bookinfo.yaml document 2 (VirtualService reviews)`; `item 3 of the List` when it came from one. */
export function describeOrigin(o: Origin): string {
    const where = `${o.file} document ${o.doc}${o.item !== undefined ? ` item ${o.item} of the List` : ""}`;
    const what = [o.kind, o.name].filter((x): x is string => x !== undefined && x !== "").join(" ");
    return what === "" ? where : `${where} (${what})`;
}

/** One problem as a line of the refusal: where, what and why, and the fix. */
export function formatProblem(p: ImportProblem): string {
    return `${p.origin !== undefined ? `${describeOrigin(p.origin)}: ` : ""}${p.what}; fix: ${p.fix}`;
}

/** The whole refusal: a headline and one indented line per problem. */
export function formatRefusal(problems: readonly ImportProblem[]): string {
    const head = `mesh-release import: ${problems.length === 1 ? "1 problem" : `${problems.length} problems`} in the input (nothing was written):`;
    return [head, ...problems.map((p) => `  - ${formatProblem(p)}`)].join("\n") + "\n";
}
