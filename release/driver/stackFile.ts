/**
 * Config edits written into the stack's settings file (`Pulumi.<stack>.yaml`) directly, as
 * `pulumi config set-all --path --plaintext` / `pulumi config rm --path` would write them, without a CLI process.
 *
 * Why: a rollout records its state after every machine event and writes each step's weight before its update;
 * every write through the CLI is a process of ~0.45 CPU s of start-up alone (BENCHMARKS.md, per-service stacks),
 * about a third of a release's CPU. Plain values need no secrets provider, so the file is all there is to write:
 * the Automation API itself reads and writes this file in process (`LocalWorkspace.stackSettings`), found the
 * same way (`Pulumi.<last segment of the stack name>.yaml` in the project directory).
 *
 * What stays as Pulumi writes it: the rest of the file (comments, order, `secure:` values, `encryptionsalt`,
 * other namespaces) through the `yaml` library's document model; values typed as `--path` types them
 * (`typedByPulumi`: `true`/`false` booleans, integers without a leading zero numbers, else strings); list
 * indexes and missing parents as Pulumi creates them (a number makes a list). The file is replaced atomically
 * (a temp file renamed over it): a crash leaves the old config or the new one, never half of one.
 * test/e2e/stack/stackFile.test.ts writes the same edits both ways on the real CLI and compares the files.
 *
 * When the file is not where this expects it (`stackConfigDir` in Pulumi.yaml, a `.yml` or `.json` file, no
 * file yet, the project's keys written without their `mesh-traffic:` namespace), {@link openStackFile} says so
 * and the driver writes through the CLI as before.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { PROJECT } from "../../contract/project";
import { typedByPulumi } from "../core/edits";
import type { ConfigEdit } from "./driver";

/** The stack's settings file, parsed, when edits can go to it directly, else undefined (the CLI writes them). */
export function openStackFile(workDir: string, stackName: string): { file: string; doc: Document } | undefined {
    const project = path.join(workDir, "Pulumi.yaml");
    const name = stackName.split("/").pop() ?? stackName;
    const file = path.join(workDir, `Pulumi.${name}.yaml`);
    try {
        if (/^stackConfigDir\s*:/m.test(fs.readFileSync(project, "utf8")) || !fs.statSync(file).isFile()) {
            return undefined;
        }
        const doc = parseDocument(fs.readFileSync(file, "utf8"));
        if (doc.errors.length > 0) {
            return undefined; // the CLI says what is wrong with it
        }
        const config = doc.get("config");
        if (config !== undefined && config !== null && !isMap(config)) {
            return undefined;
        }
        // a key written without its namespace is the project's too: written here it would be a second key
        const bare = isMap(config) && config.items.some((pair) => isScalar(pair.key) && typeof pair.key.value === "string" && !pair.key.value.includes(":"));
        return bare ? undefined : { file, doc };
    } catch {
        return undefined;
    }
}

/**
 * The secrets provider a stack's settings file names (`secretsprovider: hashivault://mesh-prod`, `awskms://...`,
 * `passphrase`), or undefined. A new stack must be created with it (`pulumi stack init --secrets-provider`): the DIY
 * backend's `stack init` without the flag makes a passphrase stack and rewrites the file's `secretsprovider` away
 * (pulumi/pulumi v3.260.0 `pkg/cmd/pulumi/stack/secrets.go` createSecretsManagerForNewStack -> DefaultSecretManager).
 * An existing stack needs nothing: every command reads the file's provider and `encryptedkey`. Pure but for the read.
 */
export function stackFileSecretsProvider(workDir: string, stackName: string): string | undefined {
    const name = stackName.split("/").pop() ?? stackName;
    try {
        return secretsProviderOf(parseDocument(fs.readFileSync(path.join(workDir, `Pulumi.${name}.yaml`), "utf8")).toJS() as unknown);
    } catch {
        return undefined; // no file yet (the backend's default provider), or one the CLI says what is wrong with
    }
}

/** Pure: the `secretsprovider` of a parsed settings file when it is a non-empty string. */
export function secretsProviderOf(doc: unknown): string | undefined {
    if (doc === null || typeof doc !== "object" || !Object.hasOwn(doc, "secretsprovider")) {
        return undefined;
    }
    const value = (doc as Record<string, unknown>)["secretsprovider"];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** The value `pulumi config set --path` stores for a plain value. */
export function pulumiTyped(value: string | number | boolean): string | number | boolean {
    if (typeof value !== "string") {
        return value;
    }
    switch (typedByPulumi(value)) {
        case "boolean":
            return value === "true";
        case "number":
            return Number(value);
        default:
            return value;
    }
}

/** Applies the edits to a parsed settings file: removals first (a missing key is fine), then the sets, in order. */
export function applyToDocument(doc: Document, edits: readonly ConfigEdit[]): void {
    if (!isMap(doc.get("config"))) {
        doc.set("config", doc.createNode({}));
    }
    const full = (p: readonly (string | number)[]): (string | number)[] => ["config", `${PROJECT}:${String(p[0])}`, ...p.slice(1)];
    for (const edit of edits) {
        if ("remove" in edit && edit.path.length > 0) {
            const parent = doc.getIn(full(edit.path).slice(0, -1), true);
            const last = edit.path[edit.path.length - 1];
            if (edit.path.length === 1 || (isMap(parent) && typeof last === "string") || (isSeq(parent) && typeof last === "number")) {
                doc.deleteIn(full(edit.path));
            }
        }
    }
    for (const edit of edits) {
        if (!("remove" in edit) && edit.path.length > 0) {
            doc.setIn(full(edit.path), pulumiTyped(edit.value));
        }
    }
}

/** Writes the edits into `file` (see the file comment), replacing it atomically; `doc` is the file parsed, when the caller has it. */
export function writeStackFile(file: string, edits: readonly ConfigEdit[], doc: Document = parseDocument(fs.readFileSync(file, "utf8"))): void {
    applyToDocument(doc, edits);
    replaceFile(file, doc.toString({ lineWidth: 0 }));
}

/** Replaces `file` with `text` atomically (a temp file beside it, with its mode, renamed over it). */
export function replaceFile(file: string, text: string): void {
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    try {
        fs.writeFileSync(tmp, text, { mode: fs.statSync(file).mode });
        fs.renameSync(tmp, file);
    } finally {
        fs.rmSync(tmp, { force: true });
    }
}
