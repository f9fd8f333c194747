/**
 * Every option's value is checked while parsing (release/cli/options.ts, program.ts): a bad one is a usage error, exit 2, whose
 * message names the option, the value, the rule and the fix, and nothing connects to a stack (the `connect`
 * and `connectEnv` of these runs fail the test when called). Before, `ab-test --flag 'x bad'`,
 * `fault delay 10 --delay 0s`, `--pulumi-root /nonexistent` and `--stack` with `--env` reached the stack
 * and ended exit 3. The paths are checked on the real disk (a temp dir); what this does not prove is that
 * bin/pulumi is a working CLI, only that it is there.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli, type CliIO } from "../../../release/cli";
import { harness, SVC } from "../release/fakes";

interface Run {
    code: number;
    stderr: string;
    stdout: string;
    connected: number;
}

async function run(argv: string[], env: Record<string, string> = {}): Promise<Run> {
    const h = harness();
    let stdout = "";
    let stderr = "";
    let connected = 0;
    const cio: CliIO = {
        stdout: (s) => (stdout += s),
        stderr: (s) => (stderr += s),
        tty: false,
        cwd: os.tmpdir(),
        env,
        tickMs: 0,
        now: () => h.clock.now(),
        listStacks: () => [{ name: "production.sample-app", layout: "service", services: [SVC], platformStack: "production" }],
        connect: () => {
            connected++;
            return { driver: h.driver, metrics: () => h.metrics, clock: h.clock };
        },
        connectEnv: () => {
            connected++;
            throw new Error("connectEnv called");
        },
    };
    const code = await runCli(argv, cio);
    return { code, stdout, stderr, connected };
}

describe("usage errors while parsing: every option's value, before any stack is touched (release/cli/options.ts, program.ts)", () => {
    let tmp = "";
    let emptyRoot = "";
    let goodRoot = "";
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-usage-"));
        emptyRoot = path.join(tmp, "empty-root");
        fs.mkdirSync(emptyRoot);
        goodRoot = path.join(tmp, "toolchain");
        fs.mkdirSync(path.join(goodRoot, "bin"), { recursive: true });
        fs.writeFileSync(path.join(goodRoot, "bin", "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
    });
    after(() => {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    const S = ["--stack", "dev", "--service", SVC];
    // Values and messages are thunks: the temp dirs exist only once `before` has run.
    const table: Array<[string, () => string[], string | (() => string), Record<string, string>?]> = [
        ["ab-test --flag 'x bad' (a header name with a space)", () => ["ab-test", ...S, "--flag", "x bad"], `--flag: --flag is "x bad"; a header name must be an HTTP token (letters, digits and !#$%&'*+-.^_\`|~; no spaces, '=' or ':'), such as x-new-feature`],
        ["ab-test --cookie --flag 'a;b'", () => ["ab-test", ...S, "--cookie", "--flag", "a;b"], `--flag is "a;b"; a cookie name must be an HTTP token`],
        ["ab-test --value with a newline", () => ["ab-test", ...S, "--flag", "x-new", "--value", "on\nx-admin: 1"], `--value is "on\\nx-admin: 1"; a header value must be visible ASCII characters (spaces only between them, no control characters), such as enabled`],
        ["ab-test --cookie --value with a space", () => ["ab-test", ...S, "--cookie", "--flag", "beta", "--value", "a b"], `--value is "a b"; a cookie value must be one or more visible ASCII characters without spaces`],
        ["ab-test --value '' (empty)", () => ["ab-test", ...S, "--flag", "x-new", "--value", ""], `--value is ""; a header value must be visible ASCII characters`],
        ["ab-test --flag 1 (Pulumi would store a number)", () => ["ab-test", ...S, "--flag", "1"], `--flag is "1"; pulumi config set --path would store it as a number, not a string`],
        ["fault delay --delay 0s", () => ["fault", "delay", "10", ...S, "--delay", "0s"], `--delay is "0s"; it must be a Go-style duration greater than zero, such as 500ms, 5s or 1m30s`],
        ["fault delay --delay -1s", () => ["fault", "delay", "10", ...S, "--delay", "-1s"], `--delay is "-1s"; it must be a Go-style duration greater than zero`],
        ["fault delay 0 (percent)", () => ["fault", "delay", "0", ...S], `<percent> is "0"; it must be a number greater than 0 and at most 100 (percent), such as 10`],
        ["fault abort 0 (percent)", () => ["fault", "abort", "0", ...S], `<percent> is "0"; it must be a number greater than 0 and at most 100`],
        ["fault abort 100.5 (percent)", () => ["fault", "abort", "100.5", ...S], `<percent> is "100.5"; it must be a number greater than 0 and at most 100`],
        ["fault --header with a bad name", () => ["fault", "abort", "5", ...S, "--header", "bad header=x"], `--header is "bad header=x": --header name is "bad header"; a header name must be an HTTP token`],
        ["fault --header whose value Pulumi would type", () => ["fault", "abort", "5", ...S, "--header", "x-chaos=2"], `--header value is "2"; pulumi config set --path would store it as a number`],
        ["--pulumi-root /nonexistent", () => ["status", ...S, "--pulumi-root", "/nonexistent"], `--pulumi-root: --pulumi-root is "/nonexistent"; it must be a directory holding bin/pulumi, and /nonexistent does not exist: give the directory whose bin/pulumi is the CLI to use, or leave --pulumi-root out to use pulumi on PATH`],
        ["--pulumi-root without bin/pulumi", () => ["canary", ...S, "--version", "v2", "--pulumi-root", emptyRoot], () => `--pulumi-root is "${emptyRoot}"; it must be a directory holding bin/pulumi, and ${emptyRoot}/bin/pulumi does not exist`],
        ["$MESH_TOOLCHAIN_DIR that does not exist", () => ["rollback", ...S], `$MESH_TOOLCHAIN_DIR: $MESH_TOOLCHAIN_DIR is "/nonexistent/tc"; it must be a directory holding bin/pulumi, and /nonexistent/tc does not exist: set it to the directory whose bin/pulumi is the CLI to use, or unset it`, { MESH_TOOLCHAIN_DIR: "/nonexistent/tc" }],
        ["--cwd that does not exist", () => ["status", ...S, "--cwd", "/nonexistent/project"], `--cwd is "/nonexistent/project"; it must be the Pulumi project's directory, and /nonexistent/project does not exist: give the directory holding Pulumi.yaml`],
        ["--report naming a directory", () => ["canary", ...S, "--version", "v2", "--report", tmp], () => `--report is "${tmp}", which is a directory; it must be the HTML file to write, such as ${tmp}/report.html`],
        ["--stack with --env", () => ["canary", "--stack", "dev", "--env", "production", "--service", SVC, "--version", "v2"], `--stack: --stack "dev" and --env "production" are given together; they are two ways to name the stack: give --env <environment> (with --service: stack <env>.<service>) or --stack <name>, not both`],
        ["env status with --stack", () => ["env", "status", "--env", "production", "--stack", "dev"], `--stack "dev" and --env "production" are given together`],
        ["--stack that is no stack name", () => ["status", "--stack", "my stack", "--service", SVC], `--stack is "my stack"; a Pulumi stack name is letters, digits, '-', '_' and '.' (optionally org/project/<stack>), such as dev or production.checkout`],
        ["--env with a dot", () => ["status", "--env", "prod.eu", "--service", SVC], `--env is "prod.eu"; an environment is the first part of its stacks' names`],
    ];
    for (const [what, argv, expected, env] of table) {
        it(`${what}: exit 2 with the option, value, rule and fix; no stack touched`, async () => {
            const r = await run(argv(), env);
            expect(r.stderr).to.include(typeof expected === "string" ? expected : expected());
            expect(r.code, r.stderr).to.equal(2);
            expect(r.connected, "connect was called").to.equal(0);
        });
    }

    it("every bad option of one command in one message", async () => {
        const r = await run(["canary", "--stack", "dev", "--env", "production", "--service", "Bad_Name", "--version", "v2", "--pulumi-root", "/nonexistent", "--interval", "0s"]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.include("mesh-release canary: 4 options are invalid (nothing was read or applied):");
        for (const line of ["  - --stack: --stack \"dev\" and --env", "  - --pulumi-root: --pulumi-root is", "  - --service: --service is \"Bad_Name\"", "  - --interval: --interval is \"0s\""]) {
            expect(r.stderr).to.include(line);
        }
        expect(r.connected).to.equal(0);
    });

    it("good values still reach the stack: a --pulumi-root holding bin/pulumi, --env alone, a header with inner spaces", async () => {
        const ok = await run(["status", ...S, "--no-metrics", "--pulumi-root", goodRoot]);
        expect(ok.code, ok.stderr).to.equal(0);
        expect(ok.connected).to.equal(1);
        const byEnv = await run(["status", "--env", "production", "--service", SVC, "--no-metrics"]);
        expect(byEnv.connected, byEnv.stderr).to.equal(1);
        const spaced = await run(["ab-test", ...S, "--flag", "X-New", "--value", "on please"]);
        expect(spaced.stderr).not.to.include("--value is");
        expect(spaced.connected).to.equal(1);
    });
});
