/**
 * Test support: the Istio objects the stack program (stacks/, its IstioRouting component included) registers for
 * stack configs, under Pulumi's runtime mocks, in a child process, so that an e2e suite (whose process may run the
 * real engine's inline programs) never installs the mocks in its own process.
 *
 *   const made = await stackIstioObjects({ reviews: { namespace: "b", createNamespace: false, routing } });
 *   made.reviews.objects   // IstioObject[]: what `pulumi up` would send the API server (apiVersion, kind, metadata, spec)
 *
 * Run as a program: `node -r ts-node/register/transpile-only test/support/routingUnderMocks.ts <configs.json> <answer.json>`
 * writes the answer as JSON (a file: the program may log to stdout).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KubeObject } from "./cluster";
import type { IstioObject } from "./istioAnalyzer";
import type { MockRecorder } from "./mocks";

/**
 * The program's answer for one stack config: its Istio objects, its Services and Gateway API objects (`kubeObjects`:
 * what `routingApi: gateway-api` makes), and the types of the rest, or why it refused it.
 */
export type StackAnswer = { objects: IstioObject[]; kubeObjects: KubeObject[]; otherTypes: string[] } | { error: string };

/** The Pulumi types of the Kubernetes objects `kubeObjects` holds: Services and every Gateway API kind. */
const KUBE_TYPE = /^kubernetes:(core\/v1:Service|gateway\.networking\.k8s\.io\/[^:]+:[A-Za-z]+)$/;

/** Runs the program for every config (key -> raw stack config, as `mesh-traffic:` keys without the prefix). */
export async function stackIstioObjects(configs: Readonly<Record<string, Record<string, unknown>>>): Promise<Record<string, StackAnswer>> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-routing-mocks-"));
    const input = path.join(dir, "configs.json");
    const answer = path.join(dir, "answer.json");
    fs.writeFileSync(input, JSON.stringify(configs));
    try {
        await new Promise<void>((resolve, reject) => {
            execFile(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", __filename, input, answer],
                { cwd: path.resolve(__dirname, "..", ".."), maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
                (err, _out, errText) => (err === null ? resolve() : reject(new Error(`the stack program under mocks failed: ${err.message}\n${errText}`))),
            );
        });
        return JSON.parse(fs.readFileSync(answer, "utf8")) as Record<string, StackAnswer>;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function main(input: string, answer: string): Promise<void> {
    const { setupMocks } = await import("./mocks");
    const rec: MockRecorder = await setupMocks();
    const { istioObjects } = await import("./emitted");
    const stacks = await import("../../stacks");
    const configs = JSON.parse(fs.readFileSync(input, "utf8")) as Record<string, Record<string, unknown>>;
    const out: Record<string, StackAnswer> = {};
    for (const [key, raw] of Object.entries(configs)) {
        rec.reset();
        try {
            stacks.buildMeshStack(stacks.parseStackConfig(`oracle-${key}`, raw));
            await rec.settled();
            const objects = istioObjects(rec);
            const kubeObjects = rec.resources.filter((r) => KUBE_TYPE.test(r.type)).map((r) => r.inputs as unknown as KubeObject);
            const otherTypes = [...new Set(rec.resources.map((r) => r.type).filter((t) => !t.startsWith("kubernetes:networking.istio.io/")))].sort();
            out[key] = { objects, kubeObjects, otherTypes };
        } catch (e) {
            out[key] = { error: e instanceof Error ? e.message : String(e) };
        }
    }
    fs.writeFileSync(answer, JSON.stringify(out));
}

if (require.main === module) {
    const [input, answer] = process.argv.slice(2);
    if (input === undefined || answer === undefined) {
        process.stderr.write("usage: routingUnderMocks.ts <configs.json> <answer.json>\n");
        process.exit(2);
    }
    main(input, answer).catch((err: unknown) => {
        process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
    });
}
