/**
 * The mesh-release CLI in-process: argv -> request objects, usage errors -> exit 2, and whole commands run
 * against the in-memory driver, fake metrics and a fake clock (no Pulumi, no Prometheus: the real edges are
 * the e2e suite's).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { stackValidator } from "../../../release/env/check";
import { parseArgs, runCli, type CliIO, type CliRequest, type Connection } from "../../../release/cli";
import { valueAt } from "../../../contract/paths";
import { MemoryDriver, MemoryStack } from "../../../release/driver/memory";
import { runCanary } from "../../../release/rollout";
import type { CliEvent } from "../../../release/reporters/types";
import { HEALTHY, SVC, harness, stackConfig, type Harness } from "../release/fakes";
import { AWKWARD_SECRET, expectNoSecret } from "../../support/secrets";

const REPO = path.resolve(__dirname, "../../..");
const BAD = { successRate: 80, p95: 50, requests: 100 };

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

function io(conn: Partial<Connection> & { h?: Harness } = {}, extra: Partial<CliIO> = {}): CliIO & { out: { stdout: string; stderr: string } } {
    const out = { stdout: "", stderr: "" };
    const h = conn.h ?? harness();
    return {
        out,
        stdout: (s) => {
            out.stdout += s;
        },
        stderr: (s) => {
            out.stderr += s;
        },
        tty: false,
        cwd: "/work/proj",
        env: {},
        tickMs: 0,
        now: () => h.clock.now(),
        connect: () => ({ driver: conn.driver ?? h.driver, metrics: conn.metrics ?? (() => h.metrics), clock: conn.clock ?? h.clock, validate: conn.validate }),
        ...extra,
    };
}

async function run(argv: string[], h: Harness, extra: Partial<CliIO> = {}, validate?: Connection["validate"]): Promise<Run> {
    const cio = io({ h, validate }, extra);
    const code = await runCli(argv, cio);
    return { code, ...cio.out };
}

/** A disk where every path the tests name exists: a directory, or a file for `bin/pulumi` and `.html`. */
const anyPath = (p: string): "directory" | "file" => (p.endsWith("/bin/pulumi") || p.endsWith(".html") ? "file" : "directory");

/** The request of a stack command (every command but `import`, whose request is test/unit/importer/'s). */
function request(argv: string[], env: Record<string, string> = {}): Exclude<CliRequest, { command: "import" }> {
    const r = parseArgs(argv, { cwd: "/work/proj", env, stdout: () => undefined, stderr: () => undefined, pathKind: anyPath });
    if (r.kind !== "request" || r.request.command === "import") {
        throw new Error(`expected a stack command's request, got ${r.kind === "exit" ? `exit ${r.exitCode}` : r.request.command}`);
    }
    return r.request;
}

function usage(argv: string[]): { code: number; stderr: string; stdout: string } {
    let stderr = "";
    let stdout = "";
    const r = parseArgs(argv, { cwd: "/work/proj", env: {}, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    return { code: r.kind === "exit" ? r.exitCode : -1, stderr, stdout };
}

const COMMON = { stack: "dev", workDir: "/work/proj", json: false, verbose: false, program: "auto" };
const withCanary = (version = "v2"): Record<string, unknown> => {
    const cfg = stackConfig();
    (valueAt(cfg, ["services", SVC, "canary"]) as Record<string, unknown>).version = version;
    return cfg;
};

describe("mesh-release CLI", () => {
    describe("argument -> request", () => {
        it("canary with steps, interval and threshold overrides", () => {
            expect(
                request(["canary", "--stack", "dev", "--service", "sample-app", "--version", "v2", "--steps", "10,50,100", "--interval", "5s", "--success-rate", "99", "--max-p95", "300", "--min-requests", "20", "--prometheus-url", "http://127.0.0.1:9999"]),
            ).to.deep.equal({
                command: "canary",
                common: COMMON,
                rollout: {
                    action: "canary",
                    service: "sample-app",
                    version: "v2",
                    overrides: { steps: "10,50,100", interval: "5s", successRate: "99", latencyP95Ms: "300", minRequests: "20", prometheusUrl: "http://127.0.0.1:9999" },
                },
            });
        });

        it("common flags: --cwd and --report resolve against the cwd, --json, --verbose, --pulumi-root beats $MESH_TOOLCHAIN_DIR", () => {
            const r = request(["canary", "--stack", "staging", "--service", "a", "--version", "v2", "--cwd", "../other", "--report", "out/r.html", "--json", "--verbose"], { MESH_TOOLCHAIN_DIR: "/tc" });
            expect(r.common).to.deep.equal({ stack: "staging", workDir: "/work/other", json: true, report: "/work/proj/out/r.html", pulumiRoot: "/tc", verbose: true, program: "auto" });
            expect(request(["status", "--stack", "dev", "--service", "a", "--program", "local"]).common.program).to.equal("local");
            expect(request(["status", "--stack", "dev", "--service", "a", "--work-dir", "sub", "--pulumi-root", "/x"], { MESH_TOOLCHAIN_DIR: "/tc" }).common).to.deep.include({ workDir: "/work/proj/sub", pulumiRoot: "/x" });
            expect(request(["status", "--stack", "dev", "--service", "a"]).common.pulumiRoot).to.equal(undefined);
        });

        it("promote --force, rollback and abort with and without --version", () => {
            expect(request(["promote", "--stack", "dev", "--service", "a", "--force"])).to.deep.include({ command: "promote", rollout: { action: "promote", service: "a", force: true } });
            expect(request(["rollback", "--stack", "dev", "--service", "a", "--version", "v3"])).to.deep.include({ rollout: { action: "rollback", service: "a", version: "v3" } });
            expect(request(["abort", "--stack", "dev", "--service", "a"])).to.deep.include({ command: "abort", rollout: { action: "abort", service: "a" } });
        });

        it("ab-test: defaults (header, value enabled, split 50) and a cookie with a split", () => {
            expect(request(["ab-test", "--stack", "dev", "--service", "a", "--flag", "x-new"])).to.deep.include({ abTest: { service: "a", flag: { name: "x-new", value: "enabled", cookie: false }, split: 50 } });
            expect(request(["ab-test", "--stack", "dev", "--service", "a", "--flag", "beta", "--cookie", "--value", "yes", "--split", "20"])).to.deep.include({
                abTest: { service: "a", flag: { name: "beta", value: "yes", cookie: true }, split: 20 },
            });
        });

        it("fault delay / abort / clear", () => {
            expect(request(["fault", "delay", "12.5", "--stack", "dev", "--service", "a", "--delay", "2s"])).to.deep.include({ fault: { service: "a", fault: { kind: "delay", percentage: 12.5, fixedDelay: "2s" } } });
            expect(request(["fault", "abort", "5", "--stack", "dev", "--service", "a", "--header", "X-Chaos=on"])).to.deep.include({
                fault: { service: "a", fault: { kind: "abort", percentage: 5, httpStatus: 503, header: { name: "x-chaos", value: "on" } } },
            });
            expect(request(["fault", "clear", "--stack", "dev", "--service", "a"])).to.deep.include({ command: "fault", fault: { service: "a", fault: "clear" } });
        });

        it("status, with --no-metrics", () => {
            expect(request(["status", "--stack", "dev", "--service", "a"])).to.deep.include({ status: { service: "a", metrics: true, overrides: undefined } });
            expect(request(["status", "--stack", "dev", "--service", "a", "--no-metrics", "--max-p95", "200"])).to.deep.include({ status: { service: "a", metrics: false, overrides: { latencyP95Ms: "200" } } });
        });
    });

    describe("usage errors exit 2 (nothing runs)", () => {
        const cases: [string, string[], RegExp][] = [
            ["no command", [], /Usage: mesh-release/],
            ["unknown command, with a suggestion", ["canry"], /unknown command 'canry'[\s\S]*Did you mean canary\?/],
            ["missing --version", ["canary", "--stack", "dev", "--service", "a"], /required option '--version <label>' not specified/],
            ["neither --stack nor --env", ["status", "--service", "a"], /give --env <environment> \(the service's stack is <env>.<service>\) or --stack <name>/],
            ["unknown option", ["status", "--stack", "dev", "--service", "a", "--colour"], /unknown option '--colour'/],
            ["--split out of range", ["ab-test", "--stack", "dev", "--service", "a", "--flag", "f", "--split", "150"], /--split is "150"; it must be an integer from 0 to 100/],
            ["fault percent not a number", ["fault", "delay", "lots", "--stack", "dev", "--service", "a"], /<percent> is "lots"; it must be a number greater than 0 and at most 100 \(percent\), such as 10/],
            ["fault delay not a duration", ["fault", "delay", "5", "--stack", "dev", "--service", "a", "--delay", "5 seconds"], /--delay is "5 seconds"/],
            ["fault status out of range", ["fault", "abort", "5", "--stack", "dev", "--service", "a", "--status", "99"], /--status is "99"/],
            ["--program not one of the choices", ["status", "--stack", "dev", "--service", "a", "--program", "remote"], /argument 'remote' is invalid. Allowed choices are auto, local, inline/],
            ["--cwd and --work-dir disagree", ["status", "--stack", "dev", "--service", "a", "--cwd", "a", "--work-dir", "b"], /--cwd "a" and --work-dir "b" disagree/],
        ];
        for (const [name, argv, message] of cases) {
            it(name, () => {
                const r = usage(argv);
                expect(r.code).to.equal(2);
                expect(r.stderr).to.match(message);
            });
        }

        it("--help exits 0 with the usage on stdout", () => {
            const r = usage(["canary", "--help"]);
            expect(r).to.deep.include({ code: 0, stderr: "" });
            expect(r.stdout).to.match(/^Usage: mesh-release canary \[options\]/);
        });

        it("a bad --steps is a config error from the policy: exit 2, nothing applied", async () => {
            const h = harness();
            const r = await run(["canary", "--stack", "dev", "--service", SVC, "--version", "v2", "--steps", "10,5"], h);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.include('--steps: --steps is "10,5"; weights must increase strictly (10 then 5)');
            expect(h.store.updates).to.have.length(0);
        });
    });

    describe("rollouts in-process (memory driver, fake metrics, fake clock)", () => {
        it("a healthy version is promoted: exit 0, the stack's stable is v2, a summary follows the live lines", async () => {
            const h = harness();
            const r = await run(["canary", "--stack", "dev", "--service", SVC, "--version", "v2"], h);
            expect(r.code).to.equal(0);
            expect(valueAt(h.store.applied, ["services", SVC, "stable", "version"])).to.equal("v2");
            expect(r.stdout).to.include("00:00:06 sample-app v2: promoted (exit 0)");
            expect(r.stdout).to.match(/\nSummary: sample-app v2 on stack dev\n {2}outcome: {3}promoted \(exit 0\)\n/);
            expect(r.stderr).to.equal("");
        });

        it("a version with 20 % errors is rolled back: exit 1, --json gives one parseable event per line ending in rollout-finished", async () => {
            const h = harness({ versions: { v1: HEALTHY, v3: BAD } });
            const r = await run(["canary", "--stack", "dev", "--service", SVC, "--version", "v3", "--json"], h);
            expect(r.code).to.equal(1);
            const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as CliEvent);
            // The same rollout through the library directly: the CLI prints exactly its events.
            const direct = harness({ versions: { v1: HEALTHY, v3: BAD } });
            await runCanary({ service: SVC, version: "v3" }, direct.deps);
            expect(lines).to.deep.equal(direct.events);
            expect(lines[lines.length - 1]).to.deep.include({ type: "rollout-finished", outcome: "rolled-back", exitCode: 1 });
            expect(valueAt(h.store.applied, ["services", SVC, "canary"])).to.deep.include({ weight: 0, routed: false });
        });

        it("--report writes the HTML report and its JSON and prints the path", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-cli-"));
            try {
                const h = harness({ versions: { v1: HEALTHY, v3: BAD } });
                const r = await run(["canary", "--stack", "dev", "--service", SVC, "--version", "v3", "--report", "r/report.html"], h, { cwd: dir });
                const html = path.join(dir, "r", "report.html");
                expect(r.stdout).to.include(`  report:    ${html}\n`);
                expect(fs.readFileSync(html, "utf8")).to.match(/<svg/);
                expect(JSON.parse(fs.readFileSync(path.join(dir, "r", "report.json"), "utf8"))).to.deep.include({ service: SVC, version: "v3", outcome: "rolled-back" });
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("a signal (the AbortController) mid-analysis rolls back and ends with exit 1", async () => {
            const h = harness();
            const controller = new AbortController();
            const sleep = h.clock.sleep;
            h.clock.sleep = (ms: number) => {
                controller.abort();
                return sleep(ms);
            };
            const r = await run(["canary", "--stack", "dev", "--service", SVC, "--version", "v2"], h, { signal: controller.signal });
            expect(r.code).to.equal(1);
            expect(r.stdout).to.include("aborting: ");
            expect(valueAt(h.store.applied, ["services", SVC, "canary"])).to.deep.include({ weight: 0, routed: false });
        });

        it("a second release on a locked stack: exit 3 with the holder named", async () => {
            const store = new MemoryStack(stackConfig());
            store.lockHolder = "mesh-release canary sample-app v9 (pid 1)";
            const r = await run(["canary", "--stack", "dev", "--service", SVC, "--version", "v2"], harness({ store }));
            expect(r.code).to.equal(3);
            expect(r.stdout).to.include("another release holds stack dev: mesh-release canary sample-app v9 (pid 1)");
        });

        it("a Prometheus token from the stack secrets never reaches stdout or stderr, even in an error text", async () => {
            const token = "prom-tok-5d1c0ffee";
            const store = new MemoryStack(stackConfig({ prometheus: { url: "http://127.0.0.1:9090", bearerToken: token } }));
            store.secrets = [token];
            const h = harness({ store });
            h.metrics.down = true;
            h.metrics.downMessage = `401 Unauthorized (Authorization: Bearer ${token})`;
            for (const json of [false, true]) {
                const r = await run(["canary", "--stack", "dev", "--service", SVC, "--version", "v2", ...(json ? ["--json"] : [])], h);
                expect(r.code).to.equal(1);
                expect(r.stdout + r.stderr).not.to.include(token);
                expect(r.stdout).to.include("Bearer [secret]");
            }
        });
    });

    describe("secrets in any spelling never reach what the CLI prints or writes (contract/redact.ts)", () => {
        const secretStore = (): MemoryStack => {
            const store = new MemoryStack(stackConfig({ prometheus: { url: "http://127.0.0.1:9090", bearerToken: AWKWARD_SECRET } }));
            store.secrets = [AWKWARD_SECRET];
            return store;
        };

        it("echoed URL-encoded, form-encoded and JSON-escaped by a lower layer: not on stdout, stderr, --json or the --report files", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-release-redact-"));
            try {
                for (const json of [false, true]) {
                    const h = harness({ store: secretStore() });
                    h.metrics.down = true;
                    h.metrics.downMessage = `401 for ?token=${encodeURIComponent(AWKWARD_SECRET)} q=${new URLSearchParams({ q: AWKWARD_SECRET }).toString()} body {"auth":${JSON.stringify(AWKWARD_SECRET)}}`;
                    const report = path.join(dir, `report-${String(json)}.html`);
                    const r = await run(["canary", "--stack", "dev", "--service", SVC, "--version", "v2", "--report", report, ...(json ? ["--json"] : [])], h);
                    expect(r.code).to.equal(1);
                    expect(r.stdout).to.include("?token=[secret]");
                    expectNoSecret(r.stdout + r.stderr);
                    expectNoSecret(fs.readFileSync(report, "utf8"));
                    expectNoSecret(fs.readFileSync(report.replace(/\.html$/, ".json"), "utf8"));
                }
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("split between a thrown error's message and its cause (stdout fails with EPIPE on the summary): neither half on stderr, exit 3", async () => {
            const h = harness({ store: secretStore() });
            const cio = io({ h });
            const capture = cio.stdout;
            cio.stdout = (s) => {
                if (s.includes("Summary")) {
                    throw new Error(`write EPIPE (last line: ${AWKWARD_SECRET.slice(0, 8)}`, { cause: new Error(`${AWKWARD_SECRET.slice(8)})`) });
                }
                capture(s);
            };
            const code = await runCli(["canary", "--stack", "dev", "--service", SVC, "--version", "v2"], cio);
            expect(code).to.equal(3);
            expect(cio.out.stderr).to.equal("mesh-release: write EPIPE (last line: [secret]; cause: [secret])\n");
            expectNoSecret(cio.out.stderr);
        });
    });

    describe("one-shot commands in-process", () => {
        it("ab-test: flag header to the canary, the rest split 30 %, exit 0", async () => {
            const h = harness({ config: withCanary() });
            const r = await run(["ab-test", "--stack", "dev", "--service", SVC, "--flag", "x-new", "--split", "30"], h);
            expect(r.code).to.equal(0);
            expect(valueAt(h.store.applied, ["services", SVC, "abTest"])).to.deep.equal({ header: "x-new", value: "enabled" });
            expect(valueAt(h.store.applied, ["services", SVC, "canary"])).to.deep.include({ weight: 30, routed: true });
            expect(r.stdout).to.include("ab-test done (exit 0): requests with header x-new=enabled go to v2; the rest split 30% to the canary, 70% to v1");
        });

        it("ab-test without a canary version, or with a value Pulumi would type: exit 2, nothing applied", async () => {
            const h = harness();
            const r = await run(["ab-test", "--stack", "dev", "--service", SVC, "--flag", "x-new"], h);
            expect(r.code).to.equal(2);
            expect(r.stdout).to.include(`services.${SVC}.canary.version is not set`);
            expect(h.store.updates).to.have.length(0);
            // the value is refused while parsing, before the stack is read
            const typed = await run(["ab-test", "--stack", "dev", "--service", SVC, "--flag", "x-new", "--value", "true"], h);
            expect(typed.code).to.equal(2);
            expect(typed.stderr).to.include('--value is "true"; pulumi config set --path would store it as a boolean');
            expect(h.store.updates).to.have.length(0);
        });

        it("ab-test during a rollout in flight is refused (exit 2)", async () => {
            const cfg = withCanary();
            cfg["rollouts"] = { [SVC]: JSON.stringify({ phase: "Progressing", version: "v2", stepIndex: 0, steps: [10, 50, 100], stepApplied: true, updatedAt: "2026-01-01T00:00:00.000Z" }) };
            const h = harness({ config: cfg });
            const r = await run(["ab-test", "--stack", "dev", "--service", SVC, "--flag", "x-new"], h);
            expect(r.code).to.equal(2);
            expect(r.stdout).to.include("a rollout of v2 is Progressing; an A/B test would change its canary weight");
        });

        it("ab-test and fault on a tcp service are refused at its protocol (exit 2), nothing applied", async () => {
            const cfg = withCanary();
            (valueAt(cfg, ["services", SVC]) as Record<string, unknown>)["protocol"] = "tcp";
            const h = harness({ config: cfg });
            const ab = await run(["ab-test", "--stack", "dev", "--service", SVC, "--flag", "x-new"], h);
            expect(ab.code).to.equal(2);
            expect(ab.stdout).to.include(
                `services.${SVC}.protocol is "tcp"; an A/B test routes requests by a header or cookie flag, and a TCP connection has no headers or HTTP responses (a tcp service is split by weight only): ` +
                    `shift its weight with mesh-release canary, or set the protocol to http or grpc (pulumi config set --path services.${SVC}.protocol http)`,
            );
            const fault = await run(["fault", "abort", "5", "--stack", "dev", "--service", SVC], h);
            expect(fault.code).to.equal(2);
            expect(fault.stdout).to.include(`services.${SVC}.protocol is "tcp"; fault injection delays or aborts HTTP requests, and a TCP connection has no headers`);
            expect(h.store.updates).to.have.length(0);
        });

        it("fault delay, then fault abort scoped by a header, then fault clear", async () => {
            const h = harness();
            expect((await run(["fault", "delay", "10", "--delay", "2s", "--stack", "dev", "--service", SVC], h)).code).to.equal(0);
            expect(valueAt(h.store.applied, ["services", SVC, "faults"])).to.deep.equal({ delay: { percentage: 10, fixedDelay: "2s" } });
            expect((await run(["fault", "abort", "5", "--header", "x-chaos=on", "--stack", "dev", "--service", SVC], h)).code).to.equal(0);
            expect(valueAt(h.store.applied, ["services", SVC, "faults"])).to.deep.equal({
                delay: { percentage: 10, fixedDelay: "2s" },
                abort: { percentage: 5, httpStatus: 503 },
                header: { name: "x-chaos", value: "on" },
            });
            const cleared = await run(["fault", "clear", "--stack", "dev", "--service", SVC, "--json"], h);
            expect(cleared.code).to.equal(0);
            expect(valueAt(h.store.applied, ["services", SVC, "faults"])).to.equal(undefined);
            const last = JSON.parse(cleared.stdout.trimEnd().split("\n").pop() ?? "{}") as CliEvent;
            expect(last).to.deep.include({ type: "command-finished", command: "fault-clear", ok: true, exitCode: 0, message: `faults of ${SVC} removed` });
        });

        it("an update that keeps failing: exit 3 and the hint says the config is ahead of the stack", async () => {
            const h = harness();
            h.store.failUpdate = () => "failed";
            const r = await run(["fault", "abort", "50", "--stack", "dev", "--service", SVC], h);
            expect(r.code).to.equal(3);
            expect(r.stdout).to.include("the stack config holds the change but the update failed");
            expect(h.store.updates).to.have.length(3); // 1 + release.update.retries (2)
        });

        it("status --json: weights, the recorded phase and the metrics judged against the thresholds; no lock, no update", async () => {
            const cfg = withCanary();
            (valueAt(cfg, ["services", SVC, "canary"]) as Record<string, unknown>).weight = 10;
            const h = harness({ config: cfg, versions: { v1: HEALTHY, v2: BAD } });
            h.store.lockHolder = "someone else";
            const r = await run(["status", "--stack", "dev", "--service", SVC, "--json"], h);
            expect(r.code).to.equal(0);
            const [status, done] = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as CliEvent);
            if (status?.type !== "status") {
                throw new Error(`expected a status line, got ${JSON.stringify(status)}`);
            }
            expect(status.status).to.deep.include({ stableVersion: "v1", canaryVersion: "v2", weight: 10, routed: true, state: null });
            expect(status.status.analysis?.verdict).to.equal("Failed");
            expect(status.status.analysis?.metrics.find((m) => m.name === "request-success-rate" && m.target === "canary")).to.deep.include({ value: 80, min: 95, verdict: "Failed" });
            expect(done).to.deep.include({ type: "command-finished", command: "status", exitCode: 0 });
            expect(h.store.updates).to.have.length(0);
        });

        it("status in text: the lines a person reads", async () => {
            const h = harness({ config: withCanary() });
            const r = await run(["status", "--stack", "dev", "--service", SVC, "--no-metrics"], h);
            expect(r.code).to.equal(0);
            expect(r.stdout).to.equal(
                [
                    "sample-app on stack dev (namespace shop); weights as configured:",
                    "  stable:  v1 100%",
                    "  canary:  v2 0%",
                    "  rollout: none recorded",
                    "00:00:00 sample-app: status done (exit 0): sample-app: no rollout recorded",
                    "",
                ].join("\n"),
            );
        });

        it("status of an unknown service: exit 2 naming the known ones", async () => {
            const r = await run(["status", "--stack", "dev", "--service", "nope", "--no-metrics"], harness());
            expect(r.code).to.equal(2);
            expect(r.stdout).to.include("services.nope does not exist in the stack config; known services: sample-app");
        });
    });

    describe("stackValidator (the stack schema wired as the release's validator)", () => {
        const devConfig = (): Record<string, unknown> => {
            const doc = parse(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
            return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^mesh-traffic:/, ""), v]));
        };

        it("accepts the dev stack's config as Pulumi hands it over (top-level booleans as text)", () => {
            expect(devConfig()["createNamespace"]).to.equal("true");
            expect(stackValidator(devConfig())).to.deep.equal([]);
        });

        it("names the path of a value the program would reject", () => {
            const cfg = devConfig();
            (valueAt(cfg, ["services", SVC, "canary"]) as Record<string, unknown>).weight = 120;
            const problems = stackValidator(cfg);
            expect(problems.map((p) => p.propertyPath)).to.deep.equal([`services.${SVC}.canary.weight`]);
        });

        it("stops a one-shot command before anything is written", async () => {
            const h = harness({ config: withCanary() });
            const r = await run(["fault", "abort", "5", "--status", "200", "--header", "bad header=x", "--stack", "dev", "--service", SVC], h, {}, () => [{ propertyPath: "services.x", reason: "nope" }]);
            expect(r.code).to.equal(2);
            expect(h.store.updates).to.have.length(0);
        });
    });
});

describe("mesh-release CLI: per-service stacks (--env)", () => {
    const files = [
        { name: "production", layout: "platform" as const, services: [] },
        { name: "production.checkout", layout: "service" as const, services: ["checkout"], platformStack: "production" },
        { name: "production.search", layout: "service" as const, services: ["search"], platformStack: "production" },
        { name: "dev", layout: "single" as const, services: [SVC] },
    ];
    const serviceConfig = (svc: string): Record<string, unknown> => {
        const cfg = stackConfig();
        cfg["services"] = { [svc]: (cfg["services"] as Record<string, unknown>)[SVC] };
        return cfg;
    };

    /** One MemoryStack per stack name (a backend); connect hands out a driver of the resolved stack. */
    function envIO(stores: Record<string, MemoryStack>, h: Harness, seen: string[]): CliIO & { out: { stdout: string; stderr: string } } {
        return io({ h }, {
            listStacks: () => files,
            connect: (_common, target) => {
                seen.push(target.stack);
                const store = stores[target.stack];
                if (store === undefined) {
                    throw new Error(`no store for ${target.stack}`);
                }
                return { driver: new MemoryDriver(target.stack, store), metrics: () => h.metrics, clock: h.clock };
            },
        });
    }

    it("releases of two services of one environment run at the same time on their own stacks; both promote", async () => {
        const h = harness({ versions: { v1: HEALTHY, v2: HEALTHY } });
        const stores = { "production.checkout": new MemoryStack(serviceConfig("checkout")), "production.search": new MemoryStack(serviceConfig("search")) };
        // Each update takes real time, so the two rollouts overlap.
        for (const s of Object.values(stores)) {
            s.updateMs = 20;
        }
        const seen: string[] = [];
        const [a, b] = await Promise.all([
            runCli(["canary", "--env", "production", "--service", "checkout", "--version", "v2", "--json"], envIO(stores, h, seen)),
            runCli(["canary", "--env", "production", "--service", "search", "--version", "v2", "--json"], envIO(stores, h, seen)),
        ]);
        expect([a, b]).to.deep.equal([0, 0]);
        expect(seen.sort()).to.deep.equal(["production.checkout", "production.search"]);
        for (const [name, store] of Object.entries(stores)) {
            const svc = name.split(".")[1] ?? "";
            expect(valueAt(store.config, ["services", svc, "stable", "version"]), name).to.equal("v2");
            expect(store.updates.at(-1), `${name}: the last update releases the lease`).to.deep.include({ ok: true, final: true });
        }
    });

    it("a second release of the same service is refused (exit 3) while the first holds its stack; the other service is not", async () => {
        const h = harness();
        const stores = { "production.checkout": new MemoryStack(serviceConfig("checkout")), "production.search": new MemoryStack(serviceConfig("search")) };
        stores["production.checkout"].lockHolder = "mesh-release canary checkout v2 (pid 7)";
        const seen: string[] = [];
        const cio = envIO(stores, h, seen);
        expect(await runCli(["canary", "--env", "production", "--service", "checkout", "--version", "v3"], cio)).to.equal(3);
        expect(cio.out.stdout).to.include("another release holds stack production.checkout: mesh-release canary checkout v2 (pid 7)");
        expect(await runCli(["fault", "delay", "5", "--env", "production", "--service", "search"], envIO(stores, h, seen))).to.equal(0);
    });

    it("single-stack layout: --env dev resolves to stack dev and says so; an unknown service exits 2 before connecting", async () => {
        const h = harness();
        const seen: string[] = [];
        const cio = envIO({ dev: h.store }, h, seen);
        expect(await runCli(["status", "--env", "dev", "--service", SVC, "--no-metrics"], cio)).to.equal(0);
        expect(cio.out.stdout).to.include(`mesh-release: stack dev.${SVC} does not exist; using stack dev (single-stack layout), which holds service ${SVC}\n`);
        const bad = envIO({}, h, seen);
        expect(await runCli(["status", "--env", "production", "--service", "cart"], bad)).to.equal(2);
        expect(bad.out.stderr).to.match(/^mesh-release: service cart has no stack in environment production: stack production is a platform stack and there is no stack production.cart/);
        expect(bad.out.stderr).to.include("  fix: create it: pulumi stack init production.cart");
        expect(seen).to.deep.equal(["dev"]);
    });
});
