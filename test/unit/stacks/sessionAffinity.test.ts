/**
 * Sticky canary sessions (issue 21; components/routes.ts `stickySession`, components/gatewayApiPlan.ts
 * `gatewaySession`): the objects a stack registers under Pulumi mocks in every mode (single layout, per-service
 * delegate, Gateway API), each valid against the pinned CRDs, the session routes gone whenever the canary takes no
 * share of the split (rollback, promotion, weight 0), and every refusal with its path, value, rule and fix. What
 * istiod makes of these routes, and 10,000 sessions through them during a rollout, is test/e2e/istiod/stickySessions.test.ts.
 */
import { expect } from "chai";
import { checkStackConfig } from "../../../stacks/config";
import { istioObjects } from "../../support/emitted";
import { prodEnvironment } from "../../support/environments";
import { analyzeMesh } from "../../support/istioAnalyzer";
import { gatewayApiCrdPath } from "../../support/istioCrds";
import { loadIstioSchema } from "../../support/istioSchema";
import type { RecordedResource } from "../../support/mocks";
import { baseStackConfig, sampleApp, type RawStack } from "../../support/stackFixtures";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

const VS = "kubernetes:networking.istio.io/v1:VirtualService";
const HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
type Route = Record<string, unknown>;

const COOKIE = "shop-session";
const REVISION = "r1x";
const SET = (role: string): string => `${COOKIE}=${role}_${REVISION}; Max-Age=3600; Path=/; HttpOnly`;
const HAS = (role: string): string => `^(.*?;\\s*)?${COOKIE}=${role}_${REVISION}(;.*)?$`;

/** The base fixture with sticky sessions on sample-app (canary v2 at `weight`). */
function sticky(weight = 10, edit: (raw: RawStack) => void = () => undefined): RawStack {
    const raw = baseStackConfig();
    sampleApp(raw).canary = { version: "v2", weight, sessionAffinity: { cookieName: COOKIE, maxAge: "1h" }, revision: REVISION };
    edit(raw);
    return raw;
}

const dest = (subset: string, extra: Route = {}): Route => ({ destination: { host: "sample-app", subset, port: { number: 8080 } }, ...extra });
const cookieOf = (subset: string): Route => ({ headers: { response: { add: { "Set-Cookie": SET(subset) } } } });
const httpOf = (r: RecordedResource): Route[] => ((r.inputs["spec"] as { http?: Route[] }).http ?? []);
const mentionsCookie = (v: unknown): boolean => JSON.stringify(v).includes(COOKIE);

describe("sticky canary sessions: the objects in every mode (issue 21)", function () {
    this.timeout(120_000);
    const mesh = stacksUnderMocks();

    const build = (raw: RawStack): Promise<RecordedResource[]> => mesh.build(raw);

    it("istio, single layout: a session route per version before the split, the split's destinations adding the cookies; the ingress carries them under its prefix", async () => {
        await build(sticky());
        expect(httpOf(mesh.rec.one("sample-app-vs", VS))).to.deep.equal([
            { name: "catch-all-canary-session", match: [{ headers: { cookie: { regex: HAS("canary") } } }], route: [dest("canary", cookieOf("canary"))] },
            { name: "catch-all-stable-session", match: [{ headers: { cookie: { regex: HAS("stable") } } }], route: [dest("stable", cookieOf("stable"))] },
            { name: "catch-all", route: [dest("stable", { weight: 90, ...cookieOf("stable") }), dest("canary", { weight: 10, ...cookieOf("canary") })] },
        ]);
        const ingress = httpOf(mesh.rec.one("ingress-vs", VS));
        expect(ingress.map((r) => [r["name"], r["match"]])).to.deep.equal([
            ["route-0-catch-all-canary-session", [{ uri: { prefix: "/" }, headers: { cookie: { regex: HAS("canary") } } }]],
            ["route-0-catch-all-stable-session", [{ uri: { prefix: "/" }, headers: { cookie: { regex: HAS("stable") } } }]],
            ["route-0-catch-all", [{ uri: { prefix: "/" } }]],
        ]);
        expect(ingress.map((r) => r["route"])).to.deep.equal(httpOf(mesh.rec.one("sample-app-vs", VS)).map((r) => r["route"]));
    });

    it("istio: pins and the A/B flag first, a URI route to one subset untouched, a URI route that takes the split sticky too; the stable session keeps the mirror", async () => {
        await build(
            sticky(25, (raw) => {
                const svc = sampleApp(raw);
                svc["pins"] = [{ header: "x-canary", exact: "true" }];
                svc["abTest"] = { cookie: "beta", value: "on" };
                svc["uriRoutes"] = [{ prefix: "/legacy", subset: "stable" }, { prefix: "/cart", rewrite: "/c" }];
                svc["mirror"] = { percentage: 5 };
                svc["timeout"] = "3s";
            }),
        );
        const http = httpOf(mesh.rec.one("sample-app-vs", VS));
        expect(http.map((r) => r["name"])).to.deep.equal([
            "canary-pin-0",
            "ab-test",
            "uri-0",
            "uri-1-canary-session",
            "uri-1-stable-session",
            "uri-1",
            "catch-all-canary-session",
            "catch-all-stable-session",
            "catch-all",
        ]);
        const byName = (n: string): Route => http.find((r) => r["name"] === n) ?? {};
        expect(byName("uri-0")["route"], "a URI route to one subset sets no cookie").to.deep.equal([dest("stable")]);
        expect(byName("uri-1-canary-session")).to.deep.equal({
            name: "uri-1-canary-session",
            match: [{ uri: { prefix: "/cart" }, headers: { cookie: { regex: HAS("canary") } } }],
            route: [dest("canary", cookieOf("canary"))],
            timeout: "3s",
            rewrite: { uri: "/c" },
        });
        expect(byName("catch-all-canary-session")["mirror"], "a canary session is not mirrored to the canary again").to.equal(undefined);
        expect(byName("catch-all-stable-session")).to.deep.include({ mirror: { host: "sample-app", subset: "canary", port: { number: 8080 } }, mirrorPercentage: { value: 5 } });
        expect(byName("catch-all")["route"]).to.deep.equal([dest("stable", { weight: 75, ...cookieOf("stable") }), dest("canary", { weight: 25, ...cookieOf("canary") })]);
    });

    it("istio: at weight 100 a stable session stays on stable; the split is the canary alone, adding its cookie", async () => {
        await build(sticky(100));
        const http = httpOf(mesh.rec.one("sample-app-vs", VS));
        expect(http.map((r) => r["name"])).to.deep.equal(["catch-all-canary-session", "catch-all-stable-session", "catch-all"]);
        expect(http[1]?.["route"]).to.deep.equal([dest("stable", cookieOf("stable"))]);
        expect(http[2]?.["route"]).to.deep.equal([dest("canary", cookieOf("canary"))]);
    });

    const notSticky: [string, (raw: RawStack) => void][] = [
        ["rollback (routed false, weight 0)", (raw) => void Object.assign(sampleApp(raw).canary, { weight: 0, routed: false })],
        ["promotion's first update (the old stable as an unrouted canary)", (raw) => {
            sampleApp(raw).stable = { version: "v2" };
            Object.assign(sampleApp(raw).canary, { version: "v1", weight: 0, routed: false });
        }],
        ["promotion done (no canary version)", (raw) => {
            sampleApp(raw).stable = { version: "v2" };
            sampleApp(raw).canary = { weight: 0, sessionAffinity: { cookieName: COOKIE, maxAge: "1h" } };
        }],
        ["weight 0 (the canary takes no share of the split)", (raw) => void (sampleApp(raw).canary["weight"] = 0)],
    ];
    for (const [what, edit] of notSticky) {
        it(`no route mentions the session cookie at ${what}: nobody is pinned to a version out of the split`, async () => {
            const objects = await build(sticky(10, edit));
            const vss = objects.filter((r) => r.type === VS);
            expect(vss.length, "the mesh, ingress and egress VirtualServices").to.equal(3);
            for (const r of vss) expect(mentionsCookie(r.inputs["spec"]), String((r.inputs["metadata"] as { name: string }).name)).to.equal(false);
        });
    }

    it("istio: every object valid against Istio's CRD schema and the analyzer (single layout)", async () => {
        await build(sticky(25, (raw) => (sampleApp(raw)["uriRoutes"] = [{ prefix: "/cart" }])));
        const objects = istioObjects(mesh.rec);
        for (const o of objects) expect(mesh.schema.validate(o), `${o.kind}/${o.metadata.name}`).to.deep.equal([]);
        expect(analyzeMesh(objects)).to.deep.equal([]);
    });

    it("istio, per-service layout: the delegate carries the session routes, the mesh and gateway roots delegate to it; valid and analyzer-clean", async () => {
        const env = prodEnvironment();
        const checkout = (env.services[0]?.config["services"] as Record<string, Route>)["checkout"] as Route;
        checkout["canary"] = { version: "v2", weight: 20, sessionAffinity: { maxAge: "2h" }, revision: "r9" };
        mesh.rec.reset();
        const platform = mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig("prod", env.platform.config)).outputs.platform;
        for (const s of env.services) mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig(s.stack, s.config), platform);
        await mesh.rec.settled();
        const delegate = httpOf(mesh.rec.one("checkout-delegate-vs", VS));
        const stickyRoutes = delegate.filter((r) => String(r["name"]).endsWith("-session"));
        expect(stickyRoutes.map((r) => r["name"])).to.deep.equal(["catch-all-canary-session", "catch-all-stable-session"]);
        expect(JSON.stringify(stickyRoutes[0]?.["match"])).to.include("canary-checkout=canary_r9");
        expect(JSON.stringify(delegate)).to.include("canary-checkout=stable_r9; Max-Age=7200; Path=/; HttpOnly");
        expect(httpOf(mesh.rec.one("checkout-vs", VS))).to.deep.equal([{ delegate: { name: "checkout-delegate", namespace: "shop" } }]);
        const objects = istioObjects(mesh.rec);
        for (const o of objects) expect(mesh.schema.validate(o), `${o.kind}/${o.metadata.name}`).to.deep.equal([]);
        expect(analyzeMesh(objects)).to.deep.equal([]);
    });

    it("gateway-api: rules per version matching the cookie (RegularExpression on cookie), backends adding it (ResponseHeaderModifier), in the mesh route and the ingress route; valid against the Gateway API CRDs", async () => {
        const objects = await build(
            sticky(30, (raw) => {
                raw["routingApi"] = "gateway-api";
                delete raw["egress"];
                sampleApp(raw)["uriRoutes"] = [{ prefix: "/legacy", subset: "stable" }];
            }),
        );
        const filter = (role: string) => [{ type: "ResponseHeaderModifier", responseHeaderModifier: { add: [{ name: "Set-Cookie", value: SET(role) }] } }];
        const header = (role: string) => ({ type: "RegularExpression", name: "cookie", value: HAS(role) });
        const v = (version: string, role: string, weight: number) => ({ name: `sample-app-${version}`, port: 8080, weight, filters: filter(role) });
        const rules = (mesh.rec.one("sample-app-httproute", HTTPROUTE).inputs["spec"] as { rules: Route[] }).rules;
        expect(rules).to.deep.equal([
            { name: "uri-0", matches: [{ path: { type: "PathPrefix", value: "/legacy" } }], backendRefs: [{ name: "sample-app-v1", port: 8080, weight: 100 }] },
            { name: "catch-all-canary-session", matches: [{ path: { type: "PathPrefix", value: "/" }, headers: [header("canary")] }], backendRefs: [v("v2", "canary", 100)] },
            { name: "catch-all-stable-session", matches: [{ path: { type: "PathPrefix", value: "/" }, headers: [header("stable")] }], backendRefs: [v("v1", "stable", 100)] },
            { name: "catch-all", matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [v("v1", "stable", 70), v("v2", "canary", 30)] },
        ]);
        const ingress = (mesh.rec.one("ingress-0-httproute", HTTPROUTE).inputs["spec"] as { rules: Route[] }).rules;
        // The ingress route ("/") carries the mesh route's rules under its prefix (session rules included): unchanged under "/".
        expect(ingress).to.deep.equal(rules);
        const gatewaySchema = loadIstioSchema(gatewayApiCrdPath());
        for (const r of objects.filter((o) => o.type.includes("gateway.networking.k8s.io"))) {
            const kind = r.type.split(":").pop() ?? "";
            expect(gatewaySchema.validate({ apiVersion: r.type.split(":")[1], kind, metadata: r.inputs["metadata"], spec: r.inputs["spec"] }), kind).to.deep.equal([]);
        }
    });

    it("gateway-api: after a rollback no rule or backend mentions the session cookie", async () => {
        const objects = await build(
            sticky(0, (raw) => {
                raw["routingApi"] = "gateway-api";
                delete raw["egress"];
                sampleApp(raw).canary["routed"] = false;
            }),
        );
        for (const r of objects.filter((o) => o.type === HTTPROUTE)) expect(mentionsCookie(r.inputs["spec"])).to.equal(false);
    });
});

describe("sticky canary sessions: what is refused (issue 21)", () => {
    const refused = (raw: RawStack): { path: string; reason: string; fix: string | undefined }[] => {
        const result = checkStackConfig(raw);
        expect(result.config, "the config must be refused").to.equal(undefined);
        return result.problems.map((p) => ({ path: p.propertyPath, reason: p.reason, fix: p.fix }));
    };

    it("a cookie name that is no HTTP token, a Max-Age that is not whole seconds, a revision that is no label: each at its path, with the fix", () => {
        const raw = sticky(10, (r) => {
            sampleApp(r).canary = { version: "v2", weight: 10, sessionAffinity: { cookieName: "my session", maxAge: "1.5s" }, revision: "R_1" };
        });
        expect(refused(raw)).to.deep.equal([
            {
                path: "services.sample-app.canary.revision",
                reason: `services.sample-app.canary.revision is "R_1"; it must be 1 to 32 lower-case letters, digits and '-', starting and ending with a letter or digit, such as "r2x9k" (the session cookies carry it)`,
                fix: "pulumi config set --path 'services.sample-app.canary.revision' <valid value>",
            },
            {
                path: "services.sample-app.canary.sessionAffinity.cookieName",
                reason: `services.sample-app.canary.sessionAffinity.cookieName is "my session"; a cookie name must be an HTTP token (letters, digits and !#$%&'*+-.^_\`|~; no spaces, '=' or ';'), such as "canary-checkout"`,
                fix: "pulumi config set --path 'services.sample-app.canary.sessionAffinity.cookieName' <valid value>",
            },
            {
                path: "services.sample-app.canary.sessionAffinity.maxAge",
                reason: `services.sample-app.canary.sessionAffinity.maxAge is "1.5s"; it must be a Go duration of whole seconds, at least 1s, such as "30m" or "24h" (a cookie's Max-Age counts seconds)`,
                fix: "pulumi config set --path 'services.sample-app.canary.sessionAffinity.maxAge' <valid value>",
            },
        ]);
    });

    it("two services with one session cookie name (a browser keeps one cookie per name)", () => {
        const raw = sticky(10, (r) => {
            r.services["search"] = { image: "img:{version}", stable: { version: "v1" }, canary: { version: "v2", weight: 10, sessionAffinity: { cookieName: COOKIE } } };
        });
        expect(refused(raw)).to.deep.equal([
            {
                path: "services.search.canary.sessionAffinity.cookieName",
                reason:
                    `services.search.canary.sessionAffinity.cookieName is "${COOKIE}", the session cookie of service "sample-app" too; a browser keeps one cookie per name, ` +
                    "so the two services would overwrite each other's session pins: give each service its own cookie name",
                fix: "pulumi config set --path 'services.search.canary.sessionAffinity.cookieName' canary-search",
            },
        ]);
    });
});
