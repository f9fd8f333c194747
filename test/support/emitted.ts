/**
 * Test support: every resource a committed stack's config registers under Pulumi mocks, in a stable form
 * (type, name, parent, inputs; sorted), so two versions of the program can be compared object by object.
 * `test/fixtures/single-layout/<stack>.json` holds what the program emitted before stack layouts existed
 * (written by `node -r ts-node/register/transpile-only test/support/emitted.ts <out dir>` run on that
 * version), with one object rewritten since: the `ingress-vs` VirtualService, whose routes carry each service's
 * routes under their prefix (issue 19; every other object byte-identical); test/unit/stacks/layout.test.ts proves
 * the single layout still emits exactly that.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { IstioObject } from "./istioAnalyzer";
import type { MockRecorder } from "./mocks";
import { configFromStackFile } from "../../contract/stackConfig";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** One registered resource, in the form the snapshots keep. */
export interface EmittedResource {
    type: string;
    name: string;
    parent: string;
    inputs: unknown;
}

/** The committed stack files, sorted (`Pulumi.<stack>.yaml`). */
export function committedStackFiles(root: string = REPO_ROOT): string[] {
    return fs
        .readdirSync(root)
        .filter((f) => /^Pulumi\.[a-z0-9.-]+\.yaml$/.test(f))
        .sort();
}

/** The `mesh-traffic:` keys of a stack file, without the prefix, as the program's config reader sees them (contract/stackConfig.ts). */
export function rawStackConfig(file: string, root: string = REPO_ROOT): Record<string, unknown> {
    return configFromStackFile(parse(fs.readFileSync(path.join(root, file), "utf8")));
}

/** Keys sorted at every level, so JSON text compares equal for equal values. */
function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
}

/** The recorder's resources in snapshot form, sorted by type and name. */
export function emitted(rec: MockRecorder): EmittedResource[] {
    return rec.resources
        .map((r) => ({ type: r.type, name: r.name, parent: `${r.parentType ?? ""}::${r.parentName ?? ""}`, inputs: sortKeys(r.inputs) }))
        .sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type.localeCompare(b.type)));
}

const ISTIO_TYPE = /^kubernetes:networking\.istio\.io\/(v1[a-z0-9]*):(\w+)$/;

/** Every Istio object the recorder saw, as the API server would receive it. */
export function istioObjects(rec: MockRecorder): IstioObject[] {
    return rec.resources.flatMap((r) => {
        const m = ISTIO_TYPE.exec(r.type);
        if (m === null) return [];
        const meta = r.inputs["metadata"] as { name: string; namespace: string };
        return [{ apiVersion: `networking.istio.io/${m[1] ?? ""}`, kind: m[2] ?? "", metadata: meta, spec: r.inputs["spec"] as IstioObject["spec"] }];
    });
}

/** Writes `<dir>/<stack>.json` for every committed stack of the program at `root`. */
async function main(dir: string, root: string): Promise<void> {
    const { setupMocks } = await import(path.join(root, "test", "support", "mocks"));
    const rec = (await setupMocks()) as MockRecorder;
    const stacks = (await import(path.join(root, "stacks"))) as {
        parseStackConfig(stack: string, raw: unknown): unknown;
        buildMeshStack(cfg: unknown): unknown;
    };
    fs.mkdirSync(dir, { recursive: true });
    for (const file of committedStackFiles(root)) {
        const stack = file.slice("Pulumi.".length, -".yaml".length);
        rec.reset();
        stacks.buildMeshStack(stacks.parseStackConfig(stack, rawStackConfig(file, root)));
        await rec.settled();
        fs.writeFileSync(path.join(dir, `${stack}.json`), `${JSON.stringify(emitted(rec), null, 1)}\n`);
    }
}

if (require.main === module) {
    const [dir, root] = process.argv.slice(2);
    if (dir === undefined) {
        process.stderr.write("usage: emitted.ts <out dir> [program root]\n");
        process.exit(2);
    }
    main(path.resolve(dir), path.resolve(root ?? REPO_ROOT)).catch((err: unknown) => {
        process.stderr.write(`${String(err)}\n`);
        process.exit(1);
    });
}
