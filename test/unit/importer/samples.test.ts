/**
 * Every traffic-management YAML of the pinned Istio module's samples/ (test/support/istioSamples.ts) round trips:
 * import -> the fragment printed for `config:` -> read back as Pulumi hands the config to the program -> the
 * objects the `routing` key stands for (routing-spec: one object per entry, kind and name from its place) are the
 * samples' own objects, kind, name and spec, each one. Files holding no networking kind (tcp-echo's workloads)
 * are refused as such, and with --skip-unsupported list every object as skipped.
 *
 * Not proven here: that istiod routes the stack's objects as it routes the samples' (the e2e suite's job), nor
 * that the stack config check accepts them (./check.test.ts).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { parseSources, ROUTING_KEYS, type RoutingKind } from "../../../importer/parse";
import { renderFragment, ROUTING_CONFIG_KEY } from "../../../importer/stackConfig";
import { toRouting, type RoutingConfig } from "../../../importer/toConfig";
import { rawStackConfig } from "../../../release/env/check";
import { istioSamplesDir } from "../../support/istioSamples";

interface Obj {
    kind: string;
    name: string;
    spec: unknown;
}

/** The samples' networking.istio.io objects of the five kinds, read on their own (not through the importer). */
function originals(text: string): Obj[] {
    return parseAllDocuments(text)
        .map((d) => d.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string }; spec?: unknown } | null)
        .filter((o): o is { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown } => o !== null && typeof o.apiVersion === "string" && o.apiVersion.startsWith("networking.istio.io/"))
        .map((o) => ({ kind: o.kind, name: o.metadata.name, spec: o.spec ?? {} }));
}

/** The objects a routing config stands for (routing-spec: the entry's kind, its key as the name, its value as the spec). */
function objectsOf(routing: RoutingConfig): Obj[] {
    return (Object.entries(ROUTING_KEYS) as [RoutingKind, keyof RoutingConfig][]).flatMap(([kind, key]) => Object.entries(routing[key] ?? {}).map(([name, spec]) => ({ kind, name, spec })));
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

const NETWORKING = /apiVersion:\s*networking\.istio\.io\//;

describe("importer: Istio's samples round trip (import -> config -> objects)", () => {
    const samples = istioSamplesDir();
    const platform = platformFiles(samples);
    // bookinfo/platform/kube/ only where a file holds a networking kind (none at the pinned version)
    const files = [...sampleFiles(samples), ...platform.filter((f) => NETWORKING.test(fs.readFileSync(path.join(samples, f), "utf8")))];

    it("finds the samples (all of bookinfo/networking, the gateways of helloworld, httpbin, websockets, tcp-echo, external; bookinfo/platform/kube scanned)", () => {
        expect(files.filter((f) => f.startsWith("bookinfo/networking/")).length).to.be.greaterThanOrEqual(20);
        expect(files).to.include.members(["bookinfo/networking/bookinfo-gateway.yaml", "tcp-echo/tcp-echo-all-v1.yaml", "external/pypi.yaml", "websockets/route.yaml"]);
        expect(platform.length, "bookinfo/platform/kube holds YAML").to.be.greaterThan(5);
    });

    for (const file of files) {
        it(file, () => {
            const text = fs.readFileSync(path.join(samples, file), "utf8");
            const want = originals(text).sort(byKindName);
            const parsed = parseSources([{ file, text }], { skipUnsupported: true });
            expect(parsed.problems, "parse problems").to.deep.equal([]);
            const keyed = toRouting(parsed.objects, undefined);
            expect(keyed.problems, "routing problems").to.deep.equal([]);
            if (want.length === 0) {
                // workloads only (tcp-echo's Services and Deployments): every object listed as skipped, refused without the flag
                expect(parsed.skipped.length).to.be.greaterThan(0);
                expect(parsed.skipped.map((s) => s.origin.kind).filter((k) => !["Service", "Deployment", "ServiceAccount"].includes(k ?? ""))).to.deep.equal([]);
                expect(parseSources([{ file, text }], { skipUnsupported: false }).problems).to.have.length(parsed.skipped.length);
                return;
            }
            // as pasted under config: and handed to the program by Pulumi (structured values as JSON text)
            const pasted = parse(`config:\n${renderFragment(keyed.routing)}`) as { config: Record<string, unknown> };
            const routing = rawStackConfig({ routing: pasted.config[ROUTING_CONFIG_KEY] })["routing"] as RoutingConfig;
            expect(objectsOf(routing).sort(byKindName)).to.deep.equal(want);
        });
    }
});
