/**
 * Which stack a release command works on (release/env/target.ts), the platform policy overlay
 * (release/core/policy.ts overlayRelease, release/driver/platform.ts), all pure or on in-memory drivers.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { MemoryDriver, MemoryStack } from "../../../release/driver/memory";
import { withPlatformRelease } from "../../../release/driver/platform";
import { ReleaseError } from "../../../release/core/errors";
import { overlayRelease } from "../../../release/core/policy";
import { stackConfigOfFile } from "../../../release/env/check";
import { projectStackDir, readStackFiles, resolveTarget, stackFileOf, type StackFile, type TargetRequest } from "../../../release/env/target";

const FILES: StackFile[] = [
    { name: "dev", layout: "single", services: ["sample-app", "payments"] },
    { name: "production", layout: "platform", services: ["checkout", "search"] },
    { name: "production.checkout", layout: "service", services: ["checkout"], platformStack: "organization/mesh-traffic/production" },
    { name: "production.search", layout: "service", services: ["search"], platformStack: "production" },
    { name: "staging", layout: "platform", services: [] },
];

function refusal(req: TargetRequest): string {
    try {
        resolveTarget(req, FILES);
    } catch (err) {
        expect(err).to.be.instanceOf(ReleaseError);
        const e = err as ReleaseError;
        expect(e.exitCode).to.equal(2);
        return `${e.message} | ${e.hint ?? ""}`;
    }
    throw new Error("expected a refusal");
}

describe("release target: which stack a command works on", () => {
    const cases: [string, TargetRequest, ReturnType<typeof resolveTarget>][] = [
        ["--env + --service: the service's own stack <env>.<svc>, with its platform stack's short name", { env: "production", service: "checkout" }, { stack: "production.checkout", layout: "service", platformStack: "production" }],
        ["an unqualified platformStack is taken as it is", { env: "production", service: "search" }, { stack: "production.search", layout: "service", platformStack: "production" }],
        [
            "single-stack layout: <env> holds the service and there is no <env>.<svc>: <env>, said in a note",
            { env: "dev", service: "payments" },
            { stack: "dev", layout: "single", note: "stack dev.payments does not exist; using stack dev (single-stack layout), which holds service payments" },
        ],
        ["an explicit --stack wins over --env", { stack: "dev", env: "production", service: "checkout" }, { stack: "dev", layout: "single" }],
        ["an explicit --stack of a service stack still finds its platform stack", { stack: "production.checkout", service: "checkout" }, { stack: "production.checkout", layout: "service", platformStack: "production" }],
        ["an explicit --stack the project has no file for: single layout, no platform", { stack: "org/proj/elsewhere", service: "x" }, { stack: "org/proj/elsewhere", layout: "single" }],
        ["--env without a service (the env commands): the platform stack", { env: "production" }, { stack: "production", layout: "platform" }],
    ];
    for (const [name, req, want] of cases) {
        it(name, () => {
            expect(resolveTarget(req, FILES)).to.deep.equal(want);
        });
    }

    it("refuses a service with no stack in a per-service environment, naming the stack to create", () => {
        expect(refusal({ env: "production", service: "cart" })).to.equal(
            "service cart has no stack in environment production: stack production is a platform stack and there is no stack production.cart " +
                "(service stacks of production: production.checkout, production.search) | create it: pulumi stack init production.cart, then pulumi config set " +
                "mesh-traffic:layout service and mesh-traffic:platformStack production (docs/config-contract.md); or name the stack with --stack",
        );
    });

    it("refuses a service a single-layout stack does not hold, listing the ones it does", () => {
        expect(refusal({ env: "dev", service: "cart" })).to.match(/^service cart has no stack in environment dev: stack dev \(single-stack layout\) has no service cart \(it has: sample-app, payments\)/);
    });

    it("refuses an unknown environment, and a request with neither --env nor --stack", () => {
        expect(refusal({ env: "qa", service: "cart" })).to.match(/^service cart has no stack in environment qa: the project has neither Pulumi.qa.cart.yaml nor Pulumi.qa.yaml/);
        expect(refusal({ service: "cart" })).to.match(/^give --env <environment>/);
        expect(refusal({ env: "qa" })).to.match(/^environment qa has no stack: the project has no Pulumi.qa.yaml/);
    });

    it("reads layout, services and platformStack from stack files; a services list (platform stack) and defaults", () => {
        expect(stackFileOf("a", { config: { "mesh-traffic:services": { x: {}, y: {} } } })).to.deep.equal({ name: "a", layout: "single", services: ["x", "y"] });
        expect(stackFileOf("p", { config: { "mesh-traffic:layout": "platform", "mesh-traffic:services": ["x", 3] } })).to.deep.equal({ name: "p", layout: "platform", services: ["x"] });
        expect(stackFileOf("p.x", { config: { "mesh-traffic:layout": "service", "mesh-traffic:platformStack": "p", "mesh-traffic:services": { x: {} } } })).to.deep.equal({
            name: "p.x",
            layout: "service",
            services: ["x"],
            platformStack: "p",
        });
        expect(stackFileOf("b", { config: { "mesh-traffic:layout": "bogus" } })).to.deep.equal({ name: "b", layout: "single", services: [] });
        expect(stackFileOf("c", null)).to.deep.equal({ name: "c", layout: "single", services: [] });
    });

    it("lists the project's Pulumi.<stack>.yaml files (dots in stack names kept), ignoring Pulumi.yaml", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-target-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: mesh-traffic\n");
            fs.writeFileSync(path.join(dir, "Pulumi.production.yaml"), stringify({ config: { "mesh-traffic:layout": "platform" } }));
            fs.writeFileSync(path.join(dir, "Pulumi.production.checkout.yaml"), stringify({ config: { "mesh-traffic:layout": "service", "mesh-traffic:services": { checkout: {} } } }));
            expect(readStackFiles(dir).map((f) => [f.name, f.layout])).to.deep.equal([
                ["production", "platform"],
                ["production.checkout", "service"],
            ]);
            expect(readStackFiles(path.join(dir, "missing"))).to.deep.equal([]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reads the keys as the program does (contract/stackConfig.ts): services set as JSON text are that stack's services, \"true\" is no layout", () => {
        expect(stackFileOf("a", { config: { "mesh-traffic:services": '{"x":{},"y":{}}' } })).to.deep.equal({ name: "a", layout: "single", services: ["x", "y"] });
        expect(stackFileOf("p.x", { config: { "mesh-traffic:layout": "service", "mesh-traffic:platformStack": "p", "mesh-traffic:services": '{"x":{}}' } }).services).to.deep.equal(["x"]);
    });

    it("finds the stack files where Pulumi.yaml's stackConfigDir keeps them, and mesh-release env's check reads them there too", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-target-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: mesh-traffic\nruntime: nodejs\nstackConfigDir: stacks\n");
            fs.mkdirSync(path.join(dir, "stacks"));
            fs.writeFileSync(path.join(dir, "stacks", "Pulumi.production.yaml"), stringify({ config: { "mesh-traffic:layout": "platform", "mesh-traffic:skipAwait": "true" } }));
            // a stray file beside Pulumi.yaml is not the project's (Pulumi reads the stackConfigDir's)
            fs.writeFileSync(path.join(dir, "Pulumi.stray.yaml"), stringify({ config: { "mesh-traffic:layout": "single" } }));
            expect(projectStackDir(dir)).to.equal(path.join(dir, "stacks"));
            expect(readStackFiles(dir).map((f) => [f.name, f.layout])).to.deep.equal([["production", "platform"]]);
            expect(stackConfigOfFile(dir, "production")).to.deep.equal({ stack: "production", config: { layout: "platform", skipAwait: true } });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the committed stacks resolve as before: --env dev --service sample-app is stack dev", () => {
        const repo = path.resolve(__dirname, "../../..");
        expect(resolveTarget({ env: "dev", service: "sample-app" }, readStackFiles(repo)).stack).to.equal("dev");
    });
});

describe("release policy overlay: platform stack's release, then the service stack's", () => {
    const platform = { steps: [10, 50, 100], interval: "60s", analysis: { successRate: 99, minRequests: 50 }, webhooks: [{ name: "a", type: "pre-rollout", url: "http://h/a" }] };
    const cases: [string, unknown, unknown, unknown][] = [
        ["neither has one", undefined, undefined, undefined],
        ["only the platform", platform, undefined, platform],
        ["only the service", undefined, { interval: "5s" }, { interval: "5s" }],
        [
            "objects merge key by key, the service's value wins",
            platform,
            { interval: "30s", analysis: { successRate: 95 } },
            { ...platform, interval: "30s", analysis: { successRate: 95, minRequests: 50 } },
        ],
        ["lists are replaced whole, never appended", platform, { steps: [25, 100], webhooks: [] }, { ...platform, steps: [25, 100], webhooks: [] }],
    ];
    for (const [name, p, s, want] of cases) {
        it(name, () => {
            const before = structuredClone(p);
            expect(overlayRelease(p, s)).to.deep.equal(want);
            expect(p, "the platform's config is not mutated").to.deep.equal(before);
        });
    }

    it("a service stack's driver reads the overlaid policy and both stacks' secrets; writes, updates and the lock stay on the service stack", async () => {
        const svc = new MemoryStack({ services: { checkout: {} }, release: { interval: "5s" } });
        svc.secrets = ["svc-secret"];
        const plat = new MemoryStack({ release: { interval: "60s", prometheus: { bearerToken: "plat-token" } } });
        plat.secrets = ["plat-token"];
        const driver = withPlatformRelease(new MemoryDriver("production.checkout", svc), new MemoryDriver("production", plat));
        const snap = await driver.read();
        expect(snap.config["release"]).to.deep.equal({ interval: "5s", prometheus: { bearerToken: "plat-token" } });
        expect(snap.inherited, "no namespace on the platform: nothing inherited").to.equal(undefined);
        plat.config["namespace"] = "shop";
        expect((await driver.read()).inherited).to.deep.equal({ namespace: "shop" });
        delete plat.config["namespace"];
        expect(snap.secrets).to.deep.equal(["svc-secret", "plat-token"]);
        await driver.write([{ path: ["services", "checkout", "canary", "weight"], value: 10 }]);
        await driver.update({ message: "m" });
        const unlock = await driver.lock("me");
        expect(svc.lockHolder).to.equal("me");
        await unlock();
        expect(svc.history).to.have.length(1);
        expect(plat.history).to.have.length(0);
        expect(plat.config).to.deep.equal({ release: { interval: "60s", prometheus: { bearerToken: "plat-token" } } });
        expect(driver.stackName).to.equal("production.checkout");
    });
});
