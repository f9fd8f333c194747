/**
 * The environment fan-out (release/env/): its plan (make before break), its run on a fake driver (bounded
 * concurrency, a failing stack does not stop the others, what make before break holds back), the progress
 * lines and summary table, and `mesh-release env` end to end in-process. The real engine runs it in
 * test/e2e/release/perService.test.ts.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { environmentCheck } from "../../../release/env/check";
import { readStackFiles } from "../../../release/env/target";
import { prodEnvironment as environment } from "../../support/environments";
import { runCli, type CliIO, type EnvConnection } from "../../../release/cli";
import { planEnv, type DeployedStack, type EnvPlan, type StackOp } from "../../../release/env/plan";
import { progressLine, renderFanoutSummary } from "../../../release/env/render";
import { boundedAll, runFanout, type EnvDriver, type FanoutEvent } from "../../../release/env/run";
import { ReleaseError } from "../../../release/core/errors";
import type { StackFile } from "../../../release/env/target";

const platform: StackFile = { name: "production", layout: "platform", services: [] };
const svcFile = (svc: string, platformStack = "production"): StackFile => ({ name: `production.${svc}`, layout: "service", services: [svc], platformStack });
const FILES: StackFile[] = [platform, svcFile("checkout"), svcFile("search"), svcFile("cart", "organization/mesh-traffic/production"), svcFile("other", "staging"), { name: "dev", layout: "single", services: ["a"] }];
const live = (...names: string[]): DeployedStack[] => names.map((name) => ({ name, resourceCount: 5 }));

const shape = (plan: EnvPlan): [string, string[]][] => plan.phases.map((p) => [p.name, p.stacks.map((s) => `${s.stack}:${s.op}`)]);

/** Records each call; `fail` names stacks whose operation throws; each call takes `ms` of real time. */
class FakeEnv implements EnvDriver {
    readonly calls: string[] = [];
    running = 0;
    maxRunning = 0;
    constructor(
        private readonly fail: readonly string[] = [],
        private readonly ms = 5,
    ) {}
    async run(stack: string, op: StackOp): Promise<{ summary: string }> {
        this.calls.push(`${stack}:${op}`);
        this.running++;
        this.maxRunning = Math.max(this.maxRunning, this.running);
        await new Promise((r) => setTimeout(r, this.ms));
        this.running--;
        if (this.fail.includes(stack)) {
            throw new Error(`pulumi up on stack ${stack} failed: error: boom\nmore lines`);
        }
        return { summary: "2 update, 3 same" };
    }
}

describe("environment fan-out: plan (make before break)", () => {
    it("a new environment: the platform first, then every service stack; other environments' and single stacks left out", () => {
        expect(shape(planEnv("production", "up", FILES, []))).to.deep.equal([
            ["platform", ["production:up"]],
            ["update", ["production.checkout:up", "production.search:up", "production.cart:up"]],
        ]);
    });

    it("Gateway API: a live environment gaining a service: the platform first (its route in its output), then the new service stack attaches its HTTPRoute", () => {
        const files = FILES.map((f) => ({ ...f, routingApi: "gateway-api" as const }));
        expect(shape(planEnv("production", "up", files, live("production", "production.checkout", "production.search")))).to.deep.equal([
            ["platform", ["production:up"]],
            ["update", ["production.checkout:up", "production.search:up", "production.cart:up"]],
        ]);
    });

    it("a live environment gaining a service: the new service stack before the platform (its delegate before the root route to it)", () => {
        expect(shape(planEnv("production", "up", FILES, live("production", "production.checkout", "production.search")))).to.deep.equal([
            ["make", ["production.cart:up"]],
            ["platform", ["production:up"]],
            ["update", ["production.checkout:up", "production.search:up"]],
        ]);
    });

    it("a live environment losing a service: the platform (root route removed) before the service stack is destroyed", () => {
        const files = FILES.filter((f) => f.name !== "production.search");
        expect(shape(planEnv("production", "up", files, live("organization/mesh-traffic/production", "production.checkout", "production.search", "production.cart", "staging.x")))).to.deep.equal([
            ["platform", ["production:up"]],
            ["update", ["production.checkout:up", "production.cart:up"]],
            ["break", ["production.search:destroy"]],
        ]);
    });

    it("preview keeps the order and previews the removal; status lists every stack; a stack with no resources counts as new", () => {
        const files = FILES.filter((f) => f.name !== "production.search");
        const deployed = [...live("production", "production.search"), { name: "production.checkout", resourceCount: 0 }];
        expect(shape(planEnv("production", "preview", files, deployed))).to.deep.equal([
            ["make", ["production.checkout:preview", "production.cart:preview"]],
            ["platform", ["production:preview"]],
            ["break", ["production.search:preview-destroy"]],
        ]);
        expect(shape(planEnv("production", "status", FILES, []))).to.deep.equal([
            ["platform", ["production:status"]],
            ["update", ["production.checkout:status", "production.search:status", "production.cart:status"]],
        ]);
    });

    it("refuses an environment without a platform stack, saying what to do for a single-stack one", () => {
        const refusal = (env: string): ReleaseError => {
            try {
                planEnv(env, "up", FILES, []);
            } catch (err) {
                return err as ReleaseError;
            }
            throw new Error("expected a refusal");
        };
        expect(refusal("dev").message).to.equal("environment dev has no platform stack: stack dev has layout single, not platform");
        expect(refusal("dev").hint).to.match(/^a single-stack environment is one stack: pulumi up --stack dev/);
        expect(refusal("qa").message).to.equal("environment qa has no platform stack: the project has no Pulumi.qa.yaml");
        expect(refusal("qa").exitCode).to.equal(2);
    });
});

describe("environment fan-out: run", () => {
    it("bounded concurrency: never more than N service stacks at a time, and the platform alone before them", async () => {
        const files = [platform, ...Array.from({ length: 9 }, (_, i) => svcFile(`s${i}`))];
        for (const n of [1, 4]) {
            const driver = new FakeEnv();
            const order: string[] = [];
            const result = await runFanout(planEnv("production", "up", files, []), driver, { concurrency: n, emit: (e) => e.type === "stack-started" && order.push(e.stack) });
            expect(result.exitCode).to.equal(0);
            expect(driver.maxRunning, `concurrency ${n}`).to.equal(n);
            expect(order[0]).to.equal("production");
            expect(result.results).to.have.length(10);
        }
    });

    it("one failing service stack does not stop the others, is named in the summary, and the exit code is 3", async () => {
        const driver = new FakeEnv(["production.search"]);
        const result = await runFanout(planEnv("production", "up", FILES, []), driver, { concurrency: 2 });
        expect(driver.calls).to.have.members(["production:up", "production.checkout:up", "production.search:up", "production.cart:up"]);
        expect(result.exitCode).to.equal(3);
        const search = result.results.find((r) => r.stack === "production.search");
        expect(search).to.deep.include({ outcome: "failed", summary: "pulumi up on stack production.search failed: error: boom" });
        expect(result.results.filter((r) => r.outcome === "ok").map((r) => r.stack)).to.have.members(["production", "production.checkout", "production.cart"]);
    });

    it("a new service stack that fails holds back the platform and the removals; the other service stacks still update", async () => {
        const files = FILES.filter((f) => f.name !== "production.search");
        const deployed = live("production", "production.checkout", "production.search");
        const driver = new FakeEnv(["production.cart"]);
        const result = await runFanout(planEnv("production", "up", files, deployed), driver, { concurrency: 4 });
        expect(driver.calls).to.deep.equal(["production.cart:up", "production.checkout:up"]);
        const byStack = Object.fromEntries(result.results.map((r) => [r.stack, r.outcome]));
        expect(byStack).to.deep.equal({ "production.cart": "failed", production: "skipped", "production.checkout": "ok", "production.search": "skipped" });
        expect(result.results.find((r) => r.stack === "production")?.summary).to.equal(
            "held back: new service stack production.cart failed, and the platform's root route would point at no delegate (make before break)",
        );
    });

    it("a platform stack that fails holds back the removals; preview never holds anything back", async () => {
        const files = FILES.filter((f) => f.name !== "production.search");
        const deployed = live("production", "production.checkout", "production.search", "production.cart");
        const up = await runFanout(planEnv("production", "up", files, deployed), new FakeEnv(["production"]), { concurrency: 4 });
        expect(up.results.map((r) => [r.stack, r.outcome])).to.deep.equal([
            ["production", "failed"],
            ["production.checkout", "ok"],
            ["production.cart", "ok"],
            ["production.search", "skipped"],
        ]);
        const preview = await runFanout(planEnv("production", "preview", files, deployed), new FakeEnv(["production"]), { concurrency: 4 });
        expect(preview.results.find((r) => r.stack === "production.search")?.outcome).to.equal("ok");
    });

    it("boundedAll runs every item once, and at most `limit` at a time", async () => {
        let running = 0;
        let max = 0;
        const seen: number[] = [];
        await boundedAll([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
            running++;
            max = Math.max(max, running);
            await new Promise((r) => setTimeout(r, 2));
            seen.push(n);
            running--;
        });
        expect(seen.sort()).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
        expect(max).to.equal(3);
    });
});

describe("environment fan-out: text", () => {
    it("progress lines and the summary table name every stack, the failed and the held-back ones again at the end", async () => {
        let t = 0;
        const events: FanoutEvent[] = [];
        const files = FILES.filter((f) => f.name !== "production.search");
        const result = await runFanout(planEnv("production", "up", files, live("production", "production.checkout", "production.search")), new FakeEnv(["production.cart"], 0), {
            concurrency: 1,
            emit: (e) => events.push(e),
            now: () => (t += 500),
        });
        expect(events.map(progressLine).filter((l) => l !== undefined)).to.deep.equal([
            "-- make: 1 stack",
            "[1/4] production.cart up: failed in 0.5 s (pulumi up on stack production.cart failed: error: boom)",
            "-- platform: 1 stack",
            "[2/4] production up: skipped (held back: new service stack production.cart failed, and the platform's root route would point at no delegate (make before break))",
            "-- update: 1 stack",
            "[3/4] production.checkout up: ok in 0.5 s (2 update, 3 same)",
            "-- break: 1 stack",
            "[4/4] production.search destroy: skipped (held back: new service stack production.cart failed, and the platform's root route would point at no delegate (make before break))",
        ]);
        const text = renderFanoutSummary(result);
        const lines = text.trimEnd().split("\n");
        expect(lines[0]).to.match(/^stack\s+phase\s+op\s+outcome\s+s\s+summary$/);
        expect(lines[1]).to.match(/^production\.cart\s+make\s+up\s+failed\s+0\.5\s+pulumi up on stack production\.cart failed: error: boom$/);
        expect(lines.slice(-3)).to.deep.equal([
            `environment production: 1 ok, 1 failed, 2 held back, in ${(result.durationMs / 1000).toFixed(1)} s (exit 3)`,
            "failed: production.cart",
            "held back: production, production.search",
        ]);
    });
});

describe("mesh-release env (in-process, fake environment)", () => {
    function envIO(conn: EnvConnection): CliIO & { out: { stdout: string; stderr: string } } {
        const out = { stdout: "", stderr: "" };
        return {
            out,
            stdout: (s) => void (out.stdout += s),
            stderr: (s) => void (out.stderr += s),
            tty: false,
            cwd: "/work/proj",
            env: {},
            listStacks: () => FILES,
            connect: () => {
                throw new Error("env commands do not connect to one stack");
            },
            connectEnv: () => conn,
        };
    }

    it("env up --concurrency 2: the summary on stdout and exit 0; --json: one event per line ending in env-finished", async () => {
        const driver = new FakeEnv();
        const cio = envIO({ driver, deployed: () => Promise.resolve([]) });
        expect(await runCli(["env", "up", "--env", "production", "--concurrency", "2"], cio)).to.equal(0);
        expect(driver.maxRunning).to.equal(2);
        expect(cio.out.stdout).to.match(/environment production: 4 ok, 0 failed, 0 held back, in [\d.]+ s \(exit 0\)\n$/);
        const json = envIO({ driver: new FakeEnv(["production.search"]), deployed: () => Promise.resolve([]) });
        expect(await runCli(["env", "up", "--env", "production", "--json"], json)).to.equal(3);
        const events = json.out.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { type: string; results?: { stack: string; outcome: string }[] });
        expect(events.at(-1)?.type).to.equal("env-finished");
        expect(events.at(-1)?.results?.find((r) => r.stack === "production.search")?.outcome).to.equal("failed");
    });

    it("problems across the environment's stacks refuse the whole run before anything is applied (exit 2)", async () => {
        const driver = new FakeEnv();
        const cio = envIO({
            driver,
            deployed: () => Promise.resolve([]),
            check: () => [{ propertyPath: "production.cart: ingress.routes[1].service", reason: "routes to service cart, which no service stack claims" }],
        });
        expect(await runCli(["env", "up", "--env", "production"], cio)).to.equal(2);
        expect(driver.calls).to.deep.equal([]);
        expect(cio.out.stderr).to.equal(
            "mesh-release: environment production: 1 problem across its stacks (nothing was applied):\n  - production.cart: ingress.routes[1].service: routes to service cart, which no service stack claims\n",
        );
    });

    it("usage: an unknown operation, a missing --env, a bad --concurrency, an environment without a platform stack", async () => {
        const conn: EnvConnection = { driver: new FakeEnv(), deployed: () => Promise.resolve([]) };
        for (const [argv, message, code] of [
            [["env", "apply", "--env", "production"], /env operation is "apply"; it must be one of up, preview, status/, 2],
            [["env", "up", "--stack", "production"], /env needs --env <environment>/, 2],
            [["env", "up", "--env", "production", "--concurrency", "0"], /--concurrency is "0"; it must be an integer from 1 to 64/, 2],
            [["env", "up", "--env", "dev"], /environment dev has no platform stack: stack dev has layout single, not platform\n {2}fix: a single-stack environment is one stack/, 2],
        ] as const) {
            const cio = envIO(conn);
            expect(await runCli([...argv], cio), argv.join(" ")).to.equal(code);
            expect(cio.out.stderr).to.match(message);
        }
    });
});

describe("environment fan-out: the check across the environment's stack files (stacks/environment.ts)", () => {
    function writeEnv(dir: string, env: ReturnType<typeof environment>): StackFile[] {
        for (const s of [env.platform, ...env.services]) {
            const config = Object.fromEntries(Object.entries(s.config).map(([k, v]) => [`mesh-traffic:${k}`, v]));
            fs.writeFileSync(path.join(dir, `Pulumi.${s.stack}.yaml`), stringify({ config }));
        }
        return readStackFiles(dir);
    }

    it("a consistent environment passes; a root route to a service with no stack is refused naming the stack, the path and the fix", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-envcheck-"));
        try {
            const env = environment();
            // a secret in a service stack's policy: the check sees a placeholder, never the ciphertext
            (env.services[0]!.config as Record<string, unknown>)["release"] = { prometheus: { bearerToken: { secure: "v1:abc" } } };
            const files = writeEnv(dir, env);
            expect(environmentCheck(dir)("prod", files)).to.deep.equal([]);
            fs.rmSync(path.join(dir, "Pulumi.prod.frontend.yaml"));
            const problems = environmentCheck(dir)("prod", readStackFiles(dir));
            expect(problems.length).to.be.greaterThan(0);
            expect(problems[0]?.propertyPath).to.match(/^prod: ingress\.routes\[1\]/);
            expect(problems[0]?.reason).to.match(/frontend/);
            expect(problems[0]?.reason).to.match(/\(fix: /);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
