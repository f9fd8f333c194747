/**
 * Every traffic-management YAML of the pinned Istio module's samples/ (test/support/istioSamples.ts) round trips:
 * `mesh-release import --stack` (importer/command.ts, the stack config check included) of the file into a stack
 * (after the files Istio's tasks apply first: bookinfo's destination-rule-all.yaml for the subsets of its routes,
 * tcp-echo-all-v1.yaml under tcp-echo-20-v2.yaml, which then replaces its VirtualService: --replace) exits 0; read
 * back as Pulumi hands the config to the program, the objects the IstioRouting plan makes of it
 * (components/istioRoutingPlan.ts, no problems) include the sample's own objects: kind, name and spec, each one.
 * A self-contained file's printed fragment (no --stack) holds the same routing. Files holding no networking kind (tcp-echo's workloads) are refused as such, and with
 * --skip-unsupported every object is listed as skipped.
 *
 * Not proven here: that istiod routes the stack's objects as it routes the samples' (the e2e suite's job).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { planIstioRouting, type RoutingObjects } from "../../../components/istioRoutingPlan";
import { runImport } from "../../../importer/command";
import { ROUTING_CONFIG_KEY } from "../../../importer/stackConfig";
import { configFromValues } from "../../../contract/stackConfig";
import { istioSamplesDir, sampleObjects } from "../../support/istioSamples";

interface Obj {
    kind: string;
    name: string;
    spec: unknown;
}

const byKindName = (a: Obj, b: Obj): number => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`);

/** The sample files the importer must take, relative to samples/. */
function sampleFiles(samples: string): string[] {
    const yamlIn = (dir: string, match: RegExp = /\.yaml$/): string[] =>
        fs
            .readdirSync(path.join(samples, dir))
            .filter((f) => match.test(f))
            .sort()
            .map((f) => `${dir}/${f}`);
    return [
        ...yamlIn("bookinfo/networking"),
        "helloworld/helloworld-gateway.yaml",
        "httpbin/httpbin-gateway.yaml",
        ...yamlIn("tcp-echo", /^tcp-echo-.*\.yaml$/),
        "websockets/route.yaml",
        ...yamlIn("external"),
    ];
}

/** bookinfo/platform/kube/'s YAML files, recursively, relative to samples/. */
function platformFiles(samples: string): string[] {
    const root = "bookinfo/platform/kube";
    return (fs.readdirSync(path.join(samples, root), { recursive: true, encoding: "utf8" }) as string[]).filter((f) => f.endsWith(".yaml")).map((f) => `${root}/${f}`);
}

/** Files Istio's tasks apply before a sample (its routes' subsets are theirs; a sample applied over another replaces it). */
function appliedBefore(file: string): string[] {
    if (file.startsWith("bookinfo/networking/virtual-service-")) return ["bookinfo/networking/destination-rule-all.yaml"];
    if (file === "tcp-echo/tcp-echo-20-v2.yaml") return ["tcp-echo/tcp-echo-all-v1.yaml"];
    return [];
}

/** A stack file in a fresh temp dir, and `import` run on sample files into it (or printing, without --stack). */
class SampleStack {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-import-sample-"));
    constructor(
        private readonly samples: string,
        namespace: string,
    ) {
        fs.writeFileSync(path.join(this.dir, "Pulumi.test.yaml"), `# imported samples\nconfig:\n  mesh-traffic:namespace: ${namespace}\n  mesh-traffic:createNamespace: false\n`);
    }

    async import(files: string[], opts: { stack: boolean; replace?: boolean; skipUnsupported?: boolean }): Promise<{ code: number; stdout: string; stderr: string }> {
        let stdout = "";
        let stderr = "";
        const code = await runImport(
            { files, cwd: this.samples, workDir: this.dir, ...(opts.stack ? { stack: "test" } : {}), skipUnsupported: opts.skipUnsupported === true, replace: opts.replace === true },
            { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
        );
        return { code, stdout, stderr };
    }

    /** The stack's routing, as Pulumi hands it to the program (structured values as JSON text). */
    routing(): RoutingObjects {
        const settings = parse(fs.readFileSync(path.join(this.dir, "Pulumi.test.yaml"), "utf8")) as { config: Record<string, unknown> };
        return configFromValues({ routing: settings.config[ROUTING_CONFIG_KEY] })["routing"] as RoutingObjects;
    }

    dispose(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

describe("importer: Istio's samples round trip (import -> config -> objects)", () => {
    const samples = istioSamplesDir();
    const platform = platformFiles(samples);
    // bookinfo/platform/kube/ only where a file holds a networking kind (none at the pinned version)
    const files = [...sampleFiles(samples), ...platform.filter((f) => /apiVersion:\s*networking\.istio\.io\//.test(fs.readFileSync(path.join(samples, f), "utf8")))];

    it("finds the samples (all of bookinfo/networking, the gateways of helloworld, httpbin, websockets, tcp-echo, external; bookinfo/platform/kube scanned)", () => {
        expect(files.filter((f) => f.startsWith("bookinfo/networking/")).length).to.be.greaterThanOrEqual(20);
        expect(files).to.include.members(["bookinfo/networking/bookinfo-gateway.yaml", "tcp-echo/tcp-echo-all-v1.yaml", "external/pypi.yaml", "websockets/route.yaml"]);
        expect(platform.length, "bookinfo/platform/kube holds YAML").to.be.greaterThan(5);
    });

    for (const file of files) {
        it(file, async () => {
            const own = sampleObjects(file);
            const want: Obj[] = own.map((o) => ({ kind: o.kind, name: o.metadata.name, spec: o.spec ?? {} })).sort(byKindName);
            const namespace = own[0]?.metadata.namespace ?? "bookinfo";
            const stack = new SampleStack(samples, namespace);
            try {
                if (want.length === 0) {
                    // workloads only (tcp-echo's Services and Deployments): refused object by object, or all skipped
                    const refused = await stack.import([file], { stack: false });
                    expect(refused.code).to.equal(2);
                    expect(refused.stderr).to.match(/is not an Istio traffic object/);
                    const skipped = await stack.import([file], { stack: false, skipUnsupported: true });
                    expect(skipped.code).to.equal(2);
                    expect(skipped.stderr).to.include("the input holds no VirtualService");
                    expect(skipped.stderr).to.match(/other objects skipped/);
                    return;
                }
                for (const before of appliedBefore(file)) {
                    const r = await stack.import([before], { stack: true });
                    expect(r.code, r.stderr).to.equal(0);
                }
                const r = await stack.import([file], { stack: true, replace: true });
                expect(r.code, r.stderr).to.equal(0);
                const plan = planIstioRouting({ namespace, objects: stack.routing() });
                expect(plan.problems).to.deep.equal([]);
                const made = plan.objects.filter((o) => want.some((w) => w.kind === o.kind && w.name === o.name));
                expect(made.map((o) => ({ kind: o.kind, name: o.name, spec: o.spec })).sort(byKindName)).to.deep.equal(want);
                if (appliedBefore(file).length === 0) {
                    // self-contained: the printed fragment holds the same
                    const printed = await stack.import([file], { stack: false });
                    expect(printed.code, printed.stderr).to.equal(0);
                    const pasted = parse(`config:\n${printed.stdout}`) as { config: Record<string, unknown> };
                    expect(configFromValues({ routing: pasted.config[ROUTING_CONFIG_KEY] })["routing"]).to.deep.equal(stack.routing());
                }
            } finally {
                stack.dispose();
            }
        });
    }
});
