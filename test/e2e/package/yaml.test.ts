/**
 * The components from any Pulumi language (issue 20): the component provider (provider/, PulumiPlugin.yaml) added to a
 * fresh Pulumi YAML project with `pulumi package add`, `pulumi up` on the real engine against the local API server,
 * and the Kubernetes objects compared with those of a TypeScript program of the same intent (the package's API, an
 * inline Automation API program) in a namespace of its own. Then a YAML program with bad values fails with the
 * components' one MeshValidationError, every problem at once, and leaves nothing behind; and the package's Python,
 * Go and C# SDKs are generated from its schema and compiled where this machine can.
 *
 * The CLI runs the provider through the Node language host front (tool langhost-policy) and the YAML program through
 * pulumi-language-yaml (tool langhost-yaml); the SDKs come from mesh-sdkgen (pkg/v3's generators), as the proxy
 * serves no Python, Go or .NET language host. Not proven here: the C# SDK compiles (no dotnet on this machine: the
 * test says so), the Python SDK runs (py_compile only: PyPI is not reachable for pulumi's Python SDK).
 */
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { Canary, Workloads } from "../../../api";
import { connectCluster, specOf, type Cluster, type KubeObject } from "../../support/cluster";
import { langhostYamlDir } from "../../support/langhostYaml";
import { policyCli } from "../../support/policyPack";
import { environmentProblem, REPO_ROOT } from "../../support/pulumiProject";
import { destroyStack, sweepNamespace } from "../../support/teardown";

const hex = (): string => randomBytes(4).toString("hex");
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The intent, once: what both programs ask for. */
const VERSIONS = [{ version: "v1", image: "ghcr.io/acme/checkout:v1" }, { version: "v2", image: "ghcr.io/acme/checkout:v2" }];
const PINS = [{ header: "x-canary", exact: "true" }, { cookie: "canary", value: "always" }];
const RETRIES = { attempts: 3, perTryTimeout: "2s", retryOn: "5xx,reset" };

/** The YAML program (namespace from config, through the Namespace resource's output). */
const YAML_PROGRAM = `name: mesh-yaml
runtime: yaml
config:
  namespace:
    type: string
resources:
  ns:
    type: kubernetes:core/v1:Namespace
    properties:
      metadata:
        name: \${namespace}
        annotations:
          pulumi.com/skipAwait: "true"
  workloads:
    type: mesh-traffic:index:Workloads
    properties:
      namespace: \${ns.metadata.name}
      app: checkout
      versions: ${JSON.stringify(VERSIONS)}
      skipAwait: true
  checkout:
    type: mesh-traffic:index:Canary
    properties:
      namespace: \${ns.metadata.name}
      service: checkout
      port: 8080
      stable: { version: v1 }
      canary: { version: v2, weight: 10 }
      pins: ${JSON.stringify(PINS)}
      timeout: 10s
      retries: ${JSON.stringify(RETRIES)}
    options:
      dependsOn:
        - \${workloads}
outputs:
  weights: \${checkout.weights}
  subsets: \${checkout.subsets}
`;

/** Bad values: a weight out of range and a pin that is both a cookie and a header pin (the flattened CanaryPin). */
const BAD_PROGRAM = `name: mesh-yaml-bad
runtime: yaml
config:
  namespace:
    type: string
resources:
  checkout:
    type: mesh-traffic:index:Canary
    properties:
      namespace: \${namespace}
      service: checkout
      stable: { version: v1 }
      canary: { version: v2, weight: 120 }
      pins: [{ header: x-canary, exact: "true", cookie: canary, value: always }]
`;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
    try {
        return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    }
}

/** What a program made in a namespace, comparable across namespaces: names, labels, specs; a Service's cluster IPs left out. */
function objectsOf(all: Record<string, KubeObject[]>): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (const [kind, objects] of Object.entries(all)) {
        if (objects.length === 0) continue;
        out[kind] = objects
            .map((o) => {
                const s = specOf(o);
                if (kind === "Service") {
                    const { clusterIP: _ip, clusterIPs: _ips, ...rest } = s.spec as Record<string, unknown>;
                    return { ...s, spec: rest };
                }
                return s;
            })
            .sort((a, b) => a.name.localeCompare(b.name));
    }
    return out;
}

describe("package: the component provider from a Pulumi YAML program (pulumi package add, pulumi up) and its Python, Go and C# SDKs", function () {
    this.timeout(40 * 60_000);
    const figures: string[] = [];
    const yamlNamespace = `mesh-yaml-${hex()}`;
    const tsNamespace = `mesh-yamlts-${hex()}`;
    const badNamespace = `mesh-yamlbad-${hex()}`;
    const yamlStack = `yaml-${hex()}`;
    const tsStackName = `yamlts-${hex()}`;
    let work: string;
    let plugin: string;
    let project: string;
    let env: NodeJS.ProcessEnv;
    let sdkgen: string;
    let cluster: Cluster;
    let yamlStackMade = false;
    let tsStack: Stack | undefined;
    let log = "";

    before(async () => {
        const problem = environmentProblem();
        if (problem !== undefined) throw new Error(problem);
        cluster = connectCluster();
        work = fs.mkdtempSync(path.join(process.env["MESH_E2E_WORK"] ?? os.tmpdir(), "mesh-yaml-"));
        const t0 = Date.now();
        const yamlDir = await langhostYamlDir();
        figures.push(`waited for pulumi-language-yaml: ${seconds(Date.now() - t0)}`);
        sdkgen = path.join(yamlDir, "bin", "mesh-sdkgen");
        const front = policyCli();
        env = { ...process.env, ...front.envVars, PATH: `${front.envVars["PATH"] ?? ""}:${path.join(yamlDir, "bin")}`, PULUMI_SKIP_UPDATE_CHECK: "true" };
        // The plugin through a link in the work dir: the YAML host caches the schema beside the plugin's path
        // (schema-mesh-traffic.json in the link's dir), not in the checkout.
        fs.mkdirSync(path.join(work, "plugin"));
        plugin = path.join(work, "plugin", "mesh-traffic");
        fs.symlinkSync(path.join(REPO_ROOT, "provider"), plugin, "dir");
    });

    after(async () => {
        const problems: string[] = [];
        if (yamlStackMade) {
            try {
                run("pulumi", ["destroy", "--yes", "--skip-preview", "--stack", yamlStack], project, env);
                run("pulumi", ["stack", "rm", "--yes", "--force", yamlStack], project, env);
            } catch (err) {
                problems.push(`yaml stack: ${(err as Error).message}`);
            }
        }
        if (tsStack !== undefined) {
            const failed = await destroyStack(tsStack, (l) => (log += l));
            if (failed !== undefined) problems.push(`destroy: ${failed}`);
            await tsStack.workspace.removeStack(tsStackName, { force: true }).catch((err: Error) => problems.push(`stack rm: ${err.message}`));
        }
        for (const ns of [yamlNamespace, tsNamespace, badNamespace]) problems.push(...(await sweepNamespace(ns).catch((err: Error) => [`sweep ${ns}: ${err.message}`])));
        expect(fs.existsSync(path.join(REPO_ROOT, "schema-mesh-traffic.json")), "nothing written into the checkout").to.equal(false);
        if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
        console.log(`      YAML/SDK figures (${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(2)}):\n        ${figures.join("\n        ")}`);
        if (problems.length > 0) throw new Error(`teardown: ${problems.join("; ")}\n${log}`);
    });

    it("pulumi package add of the component provider in a fresh YAML project writes packages.mesh-traffic into Pulumi.yaml", () => {
        project = path.join(work, "yaml");
        fs.mkdirSync(project);
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), YAML_PROGRAM);
        const t0 = Date.now();
        const out = run("pulumi", ["package", "add", plugin], project, env);
        figures.push(`pulumi package add (schema inferred from provider/*.ts): ${seconds(Date.now() - t0)}`);
        const manifest = parseYaml(fs.readFileSync(path.join(project, "Pulumi.yaml"), "utf8")) as { packages?: Record<string, unknown> };
        expect(manifest.packages, out).to.deep.equal({ "mesh-traffic": plugin });
    });

    it("pulumi up of the YAML program makes the same Kubernetes objects as the TypeScript program of the same intent", async () => {
        run("pulumi", ["stack", "init", yamlStack], project, env);
        yamlStackMade = true;
        run("pulumi", ["config", "set", "--stack", yamlStack, "namespace", yamlNamespace], project, env);
        let t0 = Date.now();
        run("pulumi", ["up", "--yes", "--skip-preview", "--stack", yamlStack], project, env);
        figures.push(`pulumi up of the YAML program (create: Namespace, Workloads, Canary): ${seconds(Date.now() - t0)}`);
        const outputs = JSON.parse(run("pulumi", ["stack", "output", "--json", "--stack", yamlStack], project, env)) as Record<string, unknown>;
        expect(outputs).to.deep.equal({ weights: { stable: 90, canary: 10 }, subsets: ["stable", "canary"] });

        const pulumiCommand = await PulumiCommand.get({ root: process.env["MESH_TOOLCHAIN_DIR"] ?? "" });
        const program = async (): Promise<Record<string, unknown>> => {
            const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: tsNamespace, annotations: { "pulumi.com/skipAwait": "true" } } });
            const workloads = new Workloads("checkout", { namespace: ns.metadata.name, app: "checkout", versions: VERSIONS, skipAwait: true });
            const canary = new Canary(
                "checkout",
                { namespace: ns.metadata.name, service: "checkout", port: 8080, stable: { version: "v1" }, canary: { version: "v2", weight: 10 }, pins: PINS, timeout: "10s", retries: RETRIES },
                { dependsOn: [workloads] },
            );
            return { weights: canary.weights, subsets: canary.subsets };
        };
        tsStack = await LocalWorkspace.createOrSelectStack(
            { stackName: tsStackName, projectName: "mesh-yaml-twin", program },
            { pulumiCommand, envVars: { PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" } },
        );
        t0 = Date.now();
        const res = await tsStack.up({ onOutput: (l) => (log += l) });
        figures.push(`pulumi up of the TypeScript twin (inline program): ${seconds(Date.now() - t0)}`);
        expect(res.outputs["weights"]?.value).to.deep.equal({ stable: 90, canary: 10 });

        const fromYaml = objectsOf(await cluster.listOurs(yamlNamespace));
        const fromTs = objectsOf(await cluster.listOurs(tsNamespace));
        expect(Object.keys(fromYaml).sort()).to.deep.equal(["Deployment", "DestinationRule", "Service", "VirtualService"]);
        expect(fromYaml).to.deep.equal(fromTs);
        const vs = fromYaml["VirtualService"]?.[0] as { spec: { http: { name: string }[] } };
        expect(vs.spec.http.map((r) => r.name)).to.deep.equal(["canary-pin-0", "canary-pin-1", "catch-all"]);
    });

    it("bad values from YAML fail with the components' MeshValidationError, every problem at once, and nothing is created", () => {
        const bad = path.join(work, "yaml-bad");
        fs.mkdirSync(bad);
        fs.writeFileSync(path.join(bad, "Pulumi.yaml"), BAD_PROGRAM);
        run("pulumi", ["package", "add", plugin], bad, env);
        const stack = `yamlbad-${hex()}`;
        run("pulumi", ["stack", "init", stack], bad, env);
        try {
            run("pulumi", ["config", "set", "--stack", stack, "namespace", badNamespace], bad, env);
            const res = spawnSync("pulumi", ["preview", "--stack", stack], { cwd: bad, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
            const text = `${res.stdout}\n${res.stderr}`;
            expect(res.status, text).to.not.equal(0);
            expect(text).to.include('mesh-traffic:index:Canary "checkout" has 2 invalid arguments:');
            expect(text).to.include("canary.weight is 120; it must be an integer from 0 to 100");
            expect(text).to.include(
                "pins[0] sets cookie and header, exact; a pin is a header pin { header, one of exact, prefix, regex } or a cookie pin { cookie, value }, not both",
            );
        } finally {
            run("pulumi", ["stack", "rm", "--yes", "--force", stack], bad, env);
        }
    });

    it("the Python, Go and C# SDKs generated from the package's schema; Python and Go compile (C# only where dotnet is installed)", () => {
        const schemaFile = path.join(work, "schema.json");
        fs.writeFileSync(schemaFile, run("pulumi", ["package", "get-schema", plugin], work, env));
        const sdks = path.join(work, "sdks");
        for (const language of ["python", "go", "dotnet"]) {
            const t0 = Date.now();
            const files = run(sdkgen, [schemaFile, language, path.join(sdks, language)], work, env).trim().split("\n");
            figures.push(`${language} SDK: ${files.length} files in ${seconds(Date.now() - t0)}`);
        }
        const py = fs.readdirSync(path.join(sdks, "python", "pulumi_mesh_traffic")).filter((f) => f.endsWith(".py"));
        expect(py).to.include.members(["canary.py", "workloads.py", "_inputs.py", "outputs.py"]);
        run("python3", ["-m", "py_compile", ...py.map((f) => path.join(sdks, "python", "pulumi_mesh_traffic", f))], work, env);
        figures.push(`python: py_compile of ${py.length} files passed (not imported: pulumi's Python SDK is not installable here)`);

        const goDir = path.join(sdks, "go", "meshtraffic");
        const pulumiVersion = /^PULUMI_VERSION=(\S+)$/m.exec(fs.readFileSync(path.join(REPO_ROOT, "scripts", "toolchain.pins"), "utf8"))?.[1] ?? "";
        fs.writeFileSync(path.join(goDir, "go.mod"), `module example.com/pulumi-mesh-traffic/sdk/go/mesh-traffic\n\ngo 1.26\n\nrequire github.com/pulumi/pulumi/sdk/v3 ${pulumiVersion}\n`);
        const goEnv = { ...env, GOTOOLCHAIN: "local", GOFLAGS: "-modcacherw", CGO_ENABLED: "0" };
        const t0 = Date.now();
        run("go", ["mod", "tidy"], goDir, goEnv);
        run("go", ["build", "./..."], goDir, goEnv);
        run("go", ["vet", "./..."], goDir, goEnv);
        figures.push(`go: go build and go vet of the Go SDK passed (${seconds(Date.now() - t0)}, sdk/v3 ${pulumiVersion})`);

        const cs = fs.readdirSync(path.join(sdks, "dotnet")).filter((f) => f.endsWith(".cs") || f.endsWith(".csproj"));
        expect(cs).to.include.members(["Canary.cs", "Workloads.cs", "Pulumi.MeshTraffic.csproj"]);
        const dotnet = spawnSync("dotnet", ["--version"], { encoding: "utf8" });
        if (dotnet.error !== undefined || dotnet.status !== 0) {
            figures.push("C#: generated, NOT compiled: dotnet is not installed on this machine (no .NET SDK in its registries)");
        } else {
            run("dotnet", ["build", path.join(sdks, "dotnet")], work, env);
            figures.push(`C#: dotnet build passed (dotnet ${dotnet.stdout.trim()})`);
        }
    });
});
