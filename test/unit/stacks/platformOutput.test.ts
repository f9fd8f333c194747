/**
 * The platform output as a contract object (contract/platformOutput.ts): what the platform stack's program actually
 * exports, under Pulumi's mocks, parses by the schema a service stack reads it with (Istio's API, the Gateway API,
 * ambient mode: every optional field); and a service stack whose platform output does not parse (a key missing, a
 * wrong type, an unknown key, a newer version, a value that is no object) is refused by its own program at
 * `platformStack`, before anything is registered, with the stack, the output key, the value (bounded), the rule and the
 * fix. Not proven here: the engine's own readStackOutputs (the e2e suite's test/e2e/stack/layouts.test.ts).
 */
import { expect } from "chai";
import { gatewayApiEnvironment, prodEnvironment } from "../../support/environments";
import { programError, runProgram } from "../../support/programUnderMocks";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

type Raw = Record<string, unknown>;

describe("the platform output: one schema for what the platform stack exports and what its service stacks read", function () {
    this.timeout(60_000);
    const mesh = stacksUnderMocks();

    /** The `platform` output of the platform program run as stack `prod` with `raw`. */
    async function exported(raw: Raw): Promise<unknown> {
        mesh.rec.reset();
        const out = await runProgram(mesh.stacks, raw, "prod");
        await mesh.rec.settled();
        return out.platform;
    }

    describe("the platform program's actual output passes the schema", () => {
        const cases: [string, () => Raw][] = [
            ["Istio's API, ingress only", () => prodEnvironment().platform.config],
            [
                "Istio's API with the internal gateway",
                () => ({ ...prodEnvironment().platform.config, internalGateway: { enabled: true, hosts: ["*.shop.svc.cluster.local"], routes: [{ prefix: "/", service: "checkout" }] } }),
            ],
            ["the Gateway API in ambient mode (routingApi, routeNamespaces, ambient)", () => ({ ...gatewayApiEnvironment().platform.config, ambient: { enabled: true, waypoint: "waypoint" } })],
            [
                "the Gateway API with a plain-HTTP ingress and an exact route (ingressProtocol, routes[].exact)",
                () => {
                    const cfg = gatewayApiEnvironment().platform.config as Raw;
                    const { tls: _tls, httpsPort: _httpsPort, ...ingress } = cfg["ingress"] as Raw;
                    const routes = ingress["routes"] as Raw[];
                    return { ...cfg, ingress: { ...ingress, protocol: "HTTP", hosts: ["*"], routes: [{ exact: "/exact", service: routes[0]!["service"] }, ...routes] } };
                },
            ],
        ];
        for (const [name, raw] of cases) {
            it(name, async () => {
                const value = await exported(raw());
                const parsed = mesh.stacks.platformOutputSchema.safeParse(value);
                expect(parsed.error?.issues ?? [], "schema issues").to.deep.equal([]);
                // the writer writes what the reader reads, field for field (nothing dropped, nothing defaulted)
                expect(parsed.data).to.deep.equal(value);
                expect((value as { version?: unknown }).version).to.equal(mesh.stacks.PLATFORM_OUTPUT_VERSION);
            });
        }

        it("the Gateway API cases export every optional field (so the cases above prove their schema)", async () => {
            const value = (await exported(cases[2]![1]())) as Raw;
            const plain = (await exported(cases[3]![1]())) as Raw;
            const keys = [...new Set([...Object.keys(value), ...Object.keys(plain)])].sort();
            expect(keys).to.deep.equal(Object.keys(mesh.stacks.platformOutputSchema.shape).sort());
            expect((plain["routes"] as Raw[])[0]).to.have.property("exact", "/exact");
        });

        it("an output written before the version field reads as version 1", async () => {
            const { version, ...old } = (await exported(prodEnvironment().platform.config)) as Raw;
            expect(version).to.equal(1);
            expect(mesh.stacks.platformOutputSchema.parse(old)).to.deep.include({ version: 1, layout: "platform", namespace: "shop" });
        });
    });

    describe("a service stack whose platform output does not parse is refused by its own program at platformStack", () => {
        let good: Raw;
        before(async () => {
            good = (await exported(prodEnvironment().platform.config)) as Raw;
        });
        after(() => mesh.rec.stackOutputs.delete("prod"));

        /** The service stack prod.checkout's program against platform output `platform`: its one problem, and nothing registered. */
        async function refused(platform: unknown): Promise<{ path: string; reason: string; fix: string; message: string }> {
            mesh.rec.stackOutputs.set("prod", { platform });
            mesh.rec.reset();
            const err = await programError(mesh.stacks, prodEnvironment().services[0]!.config, "prod.checkout");
            await mesh.rec.settled();
            expect(mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:")), "nothing registered").to.deep.equal([]);
            expect(err).to.be.instanceOf(mesh.stacks.StackConfigError);
            const e = err as InstanceType<typeof mesh.stacks.StackConfigError>;
            expect(e.problems, e.message).to.have.length(1);
            const p = e.problems[0]!;
            expect(e.message).to.contain('stack "prod.checkout"');
            return { path: p.propertyPath, reason: p.reason, fix: p.fix, message: e.message };
        }

        const FIX =
            "bring the platform stack prod up again with this version of mesh-traffic (its program writes the output whole: pulumi up --stack prod, " +
            "or mesh-release env up --env <env>), then this stack";

        it("the good output is accepted (the cases below differ from it in one place)", async () => {
            mesh.rec.stackOutputs.set("prod", { platform: good });
            mesh.rec.reset();
            await runProgram(mesh.stacks, prodEnvironment().services[0]!.config, "prod.checkout");
            await mesh.rec.settled();
            expect(mesh.rec.byType("kubernetes:apps/v1:Deployment").length).to.be.greaterThan(0);
        });

        it("a key missing", async () => {
            const { namespace: _dropped, ...platform } = good;
            const r = await refused(platform);
            expect(r.path).to.equal("platformStack");
            expect(r.reason).to.equal('the output "platform" of stack "prod" is not a platform output this program can read: platform.namespace is missing; it is required');
            expect(r.fix).to.equal(FIX);
        });

        it("a wrong type, deep in a route", async () => {
            const routes = structuredClone(good["routes"]) as Raw[];
            routes[1]!["prefix"] = 42;
            const r = await refused({ ...good, routes });
            expect(r.reason).to.equal('the output "platform" of stack "prod" is not a platform output this program can read: platform.routes[1].prefix is 42; it must be a string');
        });

        it("an unknown key (a field this version does not know)", async () => {
            const r = await refused({ ...good, mtls: "strict" });
            expect(r.reason).to.equal('the output "platform" of stack "prod" is not a platform output this program can read: platform.mtls is not a key it has');
        });

        it("a mistyped key: the unknown key first, with a did-you-mean, then the missing one", async () => {
            const { namespace, ...rest } = good;
            const r = await refused({ ...rest, namepsace: namespace });
            expect(r.reason).to.equal(
                'the output "platform" of stack "prod" is not a platform output this program can read: platform.namepsace is not a key it has; did you mean "namespace"?; ' +
                    "platform.namespace is missing; it is required",
            );
        });

        it("a newer version: the upgrade is the fix, and its fields are not judged", async () => {
            const r = await refused({ ...good, version: 2, mtls: "strict" });
            expect(r.reason).to.equal(
                'the output "platform" of stack "prod" is a platform output of version 2, written by a newer mesh-traffic; this one reads version 1 (a newer version\'s fields may change what it means)',
            );
            expect(r.fix).to.equal("run this service stack with the mesh-traffic version that brought prod up (upgrade the package in this project), or bring prod up again with this version first");
        });

        it("a version that is no version", async () => {
            const r = await refused({ ...good, version: "1" });
            expect(r.reason).to.contain('platform.version is "1"; it must be 1');
        });

        it("a value that is no object; a long one is cut, with its length", async () => {
            const r = await refused("x".repeat(5000));
            expect(r.reason).to.match(/^the output "platform" of stack "prod" is not a platform output this program can read: platform is "x+\.\.\." \(5000 characters\); it must be an object$/);
            expect(r.message.length).to.be.below(1000);
        });

        it("many problems: the first three and a count; a control character in a key printed escaped", async () => {
            const r = await refused({ layout: "single", "bad\u0007key": 1 });
            expect(r.reason).to.equal(
                'the output "platform" of stack "prod" is not a platform output this program can read: platform.bad\\u0007key is not a key it has; ' +
                    'platform.layout is "single"; it must be "platform"; platform.namespace is missing; it is required; and 2 more',
            );
        });
    });
});
