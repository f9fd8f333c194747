/**
 * The CLI processes a release step and an environment up cost (release/driver/pulumiStack.ts, envStacks.ts).
 * Every Pulumi CLI process costs ~0.45 CPU s of start-up alone (BENCHMARKS.md, per-service stacks), so the
 * driver runs no command whose result nobody reads: the Automation API's read-back after `up` (`stack output`
 * twice, `stack history`), a `pulumi version` per driver, a `stack select` known to fail before `stack init`.
 * A fake `pulumi` executable logs its arguments: what runs is asserted exactly, with the pinned SDK's Automation
 * API in between. That the real CLI gives the same results is the end-to-end suite's part
 * (test/e2e/release/perService.test.ts: the change summaries of `env up`, releases promoted).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PulumiEnvDriver } from "../../../release/driver/envStacks";
import { PulumiStackDriver } from "../../../release/driver/pulumiStack";

/** A CLI installation `<root>/bin/pulumi` that logs each call's arguments (one line each) and answers what the driver reads. */
function fakeCli(root: string, log: string, outputs: string): void {
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    const script = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> ${JSON.stringify(log)}
case "$1 $2" in
  "version "*) echo v3.260.0 ;;
  "stack output") printf '%s %s %s\\n' "\${PULUMI_AUTOMATION_API:-unset}" "\${PATH%%:*}" "$PWD" >> ${JSON.stringify(log + ".env")}; printf '%s' ${JSON.stringify(outputs)} ;;
  "stack ls"|"stack history") echo '[]' ;;
esac
exit 0
`;
    fs.writeFileSync(path.join(root, "bin", "pulumi"), script, { mode: 0o755 });
}

/** The logged calls without the flags every call carries, as `verb subverb` (`up`, `stack select`, ...). */
function calls(log: string): string[] {
    if (!fs.existsSync(log)) return [];
    return fs
        .readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((line) => {
            const words = line.split(" ").filter((w) => !w.startsWith("-"));
            return words[0] === "stack" || words[0] === "config" ? `${words[0]} ${words[1] ?? ""}`.trim() : (words[0] ?? "");
        });
}

describe("CLI processes per driver operation (release/driver/pulumiStack.ts, envStacks.ts)", function () {
    this.timeout(30_000);
    let dir: string;
    let log: string;
    let root: string;
    // a released lease: the next release may take it
    const lease = { owner: "x", holder: "h", host: "elsewhere", pid: 1, started: "2026-12-01T00:00:00Z", heartbeat: "2026-12-01T00:00:00Z", expires: "2026-12-01T00:05:00Z", released: "2026-12-01T00:00:01Z" };

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-cli-calls-"));
        log = path.join(dir, "calls.log");
        // a root of its own per test: the process keeps one PulumiCommand (one `pulumi version`) per root
        root = path.join(dir, "cli");
        fakeCli(root, log, JSON.stringify({ meshReleaseLease: lease }));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: mesh-traffic\nruntime: nodejs\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const driver = (stackName: string, extra: Partial<ConstructorParameters<typeof PulumiStackDriver>[0]> = {}): PulumiStackDriver =>
        new PulumiStackDriver({ stackName, workDir: dir, pulumiRoot: root, program: { kind: "inline", program: async () => ({}) }, lockDir: path.join(dir, "locks"), ...extra });

    it("a release's lock and two weight steps: one `version` per process, one `stack select`, one `stack output` for the lease, then `up` alone per step", async () => {
        const first = driver("dev.checkout");
        const unlock = await first.lock("test");
        await first.update({ message: "step 1" });
        await first.update({ message: "step 2" });
        await unlock();
        // a second driver of the same CLI in the same process (the platform stack's, another service's) reuses it
        const second = driver("dev");
        await second.update({ message: "platform" });
        expect(calls(log)).to.deep.equal(["version", "stack select", "stack output", "up", "up", "stack select", "up"]);
    });

    it("the lease read runs as the Automation API runs a command: in the project dir, PULUMI_AUTOMATION_API set, the CLI's own dir first on PATH", async () => {
        const unlock = await driver("dev.checkout").lock("test");
        await unlock();
        expect(fs.readFileSync(log + ".env", "utf8").trim().split("\n")).to.deep.equal([`true ${path.join(root, "bin")} ${fs.realpathSync(dir)}`]);
    });

    it("a config write goes into Pulumi.<stack>.yaml without a CLI process", async () => {
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "# kept\nconfig:\n  mesh-traffic:namespace: dev\n");
        const d = driver("dev");
        await d.stack();
        await d.write([{ path: ["services", "checkout", "canary", "weight"], value: 25 }]);
        expect(calls(log)).to.deep.equal(["version", "stack select"]);
        expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).to.equal("# kept\nconfig:\n  mesh-traffic:namespace: dev\n  mesh-traffic:services:\n    checkout:\n      canary:\n        weight: 25\n");
    });

    it("an update's summary comes from the engine's events: with none (this fake CLI sends none) it says no changes, and no `stack history` runs for it", async () => {
        const r = await driver("dev").update({ message: "m" });
        expect(r.summary).to.equal("no changes");
        expect(calls(log)).to.not.include("stack history");
    });

    it("env up of a stack the backend does not hold: `stack init` without a `stack select`, and no lease to read from a stack just created", async () => {
        const env = new PulumiEnvDriver({ workDir: dir, pulumiRoot: root, program: { kind: "inline", program: async () => ({}) } });
        expect(await env.deployed()).to.deep.equal([]);
        await env.run("dev.checkout", "up");
        expect(calls(log)).to.deep.equal(["version", "stack ls", "stack init", "up"]);
    });

    it("env up of a new stack whose file names a secrets provider: `stack init --secrets-provider` with it; without one, no flag", async () => {
        fs.writeFileSync(path.join(dir, "Pulumi.dev.checkout.yaml"), "secretsprovider: hashivault://mesh-dev\nconfig:\n  mesh-traffic:layout: service\n");
        fs.writeFileSync(path.join(dir, "Pulumi.dev.cart.yaml"), "config:\n  mesh-traffic:layout: service\n");
        const env = new PulumiEnvDriver({ workDir: dir, pulumiRoot: root, program: { kind: "inline", program: async () => ({}) } });
        expect(await env.deployed()).to.deep.equal([]);
        await env.run("dev.checkout", "up");
        await env.run("dev.cart", "up");
        const inits = fs.readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("stack init "));
        expect(inits.map((l) => l.split(" ").filter((w) => !w.startsWith("--") || w === "--secrets-provider").slice(0, 5))).to.deep.equal([
            ["stack", "init", "dev.checkout", "--secrets-provider", "hashivault://mesh-dev"],
            ["stack", "init", "dev.cart"],
        ]);
    });

    it("a driver given a secrets provider creates its stack with it, over the file's; selecting a stack passes none", async () => {
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "secretsprovider: hashivault://from-file\n");
        await driver("dev", { create: "new", secretsProvider: "awskms://alias/mesh" }).stack();
        await driver("dev", { secretsProvider: "awskms://alias/mesh" }).stack();
        const lines = fs.readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("stack "));
        expect(lines.map((l) => l.split(" ").filter((w) => !w.startsWith("--") || w === "--secrets-provider").slice(0, 5))).to.deep.equal([
            ["stack", "init", "dev", "--secrets-provider", "awskms://alias/mesh"],
            ["stack", "select", "dev"],
        ]);
    });

    it("env up of a stack the backend holds: `stack select`, the lease read once, `up`", async () => {
        const env = new PulumiEnvDriver({ workDir: dir, pulumiRoot: root, program: { kind: "inline", program: async () => ({}) } });
        await env.run("dev.checkout", "up"); // deployed() not asked: whether it exists is unknown, `stack select` decides
        expect(calls(log)).to.deep.equal(["version", "stack select", "stack output", "up"]);
    });

    it("env status of a stack: the lease by one `stack output`, the last update by one `stack history`", async () => {
        const env = new PulumiEnvDriver({ workDir: dir, pulumiRoot: root, program: { kind: "inline", program: async () => ({}) } });
        const r = await env.run("dev.checkout", "status");
        expect(r.summary).to.equal("never updated; no release running");
        expect(calls(log).sort()).to.deep.equal(["stack history", "stack output", "stack select", "version"]);
    });

    it("a live lease in the one `stack output` read refuses the release before any update", async () => {
        const now = new Date();
        const expires = new Date(now.getTime() + 600_000).toISOString();
        const live = JSON.stringify({ meshReleaseLease: { owner: "o", holder: "mesh-release canary checkout v2 (pid 1)", host: "runner-2", pid: 1, started: now.toISOString(), heartbeat: now.toISOString(), expires } });
        fakeCli(root, log, live);
        let refused: unknown;
        await driver("dev.checkout")
            .lock("test")
            .catch((e: unknown) => (refused = e));
        expect(String(refused)).to.match(/runner-2/);
        expect(calls(log)).to.deep.equal(["version", "stack select", "stack output"]);
    });
    it("a lease this version cannot read, in the one `stack output` read, refuses the release before any update (never taken for none), naming the stack, the key, the value and the fix", async () => {
        fakeCli(root, log, JSON.stringify({ meshReleaseLease: { ...lease, released: undefined, expires: 42 } }));
        let refused: unknown;
        await driver("dev.checkout")
            .lock("test")
            .catch((e: unknown) => (refused = e));
        expect((refused as Error).message).to.equal(
            'the output "meshReleaseLease" of stack "dev.checkout" is not a release lease this program can read: meshReleaseLease.expires is 42; it must be a string. ' +
                "fix: if no release runs on dev.checkout, update it once without mesh-release (pulumi up --stack dev.checkout: an update without a release drops a lease it cannot read, with a warning), then start the release again",
        );
        expect(calls(log)).to.deep.equal(["version", "stack select", "stack output"]);
        // env status says so too
        const env = new PulumiEnvDriver({ workDir: dir, pulumiRoot: root, program: { kind: "inline", program: async () => ({}) } });
        expect((await env.run("dev.checkout", "status")).summary).to.equal(
            'never updated; a lease this version cannot read: the output "meshReleaseLease" of stack "dev.checkout" is not a release lease this program can read: meshReleaseLease.expires is 42; it must be a string',
        );
    });

    /** The fake CLI, but `preview` fails as the engine does when the program refuses (exit 255, the diagnostics on stdout). */
    function failingPreview(message: string): void {
        const script = fs.readFileSync(path.join(root, "bin", "pulumi"), "utf8").replace(
            "esac\nexit 0",
            `  "preview "*) printf 'Previewing update (x):\\n\\nDiagnostics:\\n  pulumi:pulumi:Stack (mesh-traffic-x):\\n    error: ${message}\\n'; exit 255 ;;\nesac\nexit 0`,
        );
        fs.writeFileSync(path.join(root, "bin", "pulumi"), script, { mode: 0o755 });
    }

    it("env preview of a new environment: a service stack whose platform is not up yet is no failure, and the stack the preview created is removed", async () => {
        failingPreview(
            'stack "dev.checkout": 1 problem in the mesh-traffic config (nothing was deployed): platformStack is "dev", a stack this backend does not hold (the engine: unknown stack "dev")',
        );
        const env = new PulumiEnvDriver({ workDir: dir, pulumiRoot: root, program: { kind: "inline", program: async () => ({}) } });
        expect(await env.deployed()).to.deep.equal([]);
        const r = await env.run("dev.checkout", "preview");
        expect(r.summary).to.equal("new stack: previewed after its platform stack is up (env up brings the platform up first, then this stack)");
        expect(calls(log), "the stack init'ed for the preview is removed: the backend is as before").to.deep.equal(["version", "stack ls", "stack init", "preview", "stack rm"]);
    });

    it("a failed preview is reported by the engine's diagnostics, not by the Automation API's first line (code: 255)", async () => {
        failingPreview("something the program refused");
        const env = new PulumiEnvDriver({ workDir: dir, pulumiRoot: root, program: { kind: "inline", program: async () => ({}) } });
        let failed: unknown;
        await env.run("dev.checkout", "preview").catch((e: unknown) => (failed = e));
        expect(failed).to.be.instanceOf(Error);
        expect((failed as Error).message).to.not.match(/^code:/);
        expect((failed as Error).message).to.include("error: something the program refused");
    });
});
