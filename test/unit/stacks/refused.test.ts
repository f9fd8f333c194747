/**
 * Config that used to be accepted and must not be (issue 10, "Config that is accepted and must not be"):
 * keys that are built-in object properties, control characters, the release policy checked by the program
 * too (one schema and one rule set for `pulumi up` and `mesh-release`), URLs, plain-text secrets, silent
 * drops, name and host collisions, values Istio or Envoy refuse, every problem in one run, and no wrong
 * follow-on messages. Pure: checkStackConfig and resolvePolicy only.
 */
import { expect } from "chai";
import { configFromCliJson, configFromPulumiMap } from "../../../contract/stackConfig";
import { checkStackConfig, type StackConfigProblem } from "../../../stacks/config";
import { resolvePolicy, serviceContext } from "../../../release/core/policy";
import type { ConfigProblem } from "../../../release/core/errors";
import { ReleaseError } from "../../../release/core/errors";
import { baseStackConfig, sampleApp, type RawStack } from "../../support/stackFixtures";

type Obj = Record<string, unknown>;
type Raw = RawStack;
const base = baseStackConfig;
const svc = sampleApp;

function problemsOf(edit: (raw: Raw) => void, secretKeys?: string[]): StackConfigProblem[] {
    const raw = base();
    edit(raw);
    const result = checkStackConfig(raw, secretKeys === undefined ? {} : { secretKeys });
    expect(result.config, "the config must be refused").to.equal(undefined);
    return result.problems;
}
const reasons = (edit: (raw: Raw) => void, secretKeys?: string[]): string[] => problemsOf(edit, secretKeys).map((p) => p.reason);

describe("config that must be refused (stacks/config.ts, issue 10)", () => {
    describe("keys that are built-in object properties are never looked up through the prototype", () => {
        it("a __proto__ service (even with an invalid body) is reported, not silently dropped", () => {
            const problems = problemsOf((r) => {
                r.services = JSON.parse('{"__proto__": {"image": 5}, "sample-app": {"image": "i", "stable": {"version": "v1"}}}') as Raw["services"];
            });
            expect(problems.map((p) => p.propertyPath)).to.deep.equal(["services.__proto__"]);
            expect(problems[0]?.reason).to.equal(
                'services.__proto__ is a key JavaScript reserves ("__proto__"); no config key may be __proto__',
            );
            expect(problems[0]?.fix).to.equal("pulumi config rm --path 'services.__proto__'");
        });

        it("__proto__ anywhere (a selector label) is reported too", () => {
            expect(problemsOf((r) => (r.ingress.selector = JSON.parse('{"__proto__": "x", "istio": "ingressgateway"}') as Obj)).map((p) => p.propertyPath)).to.deep.equal([
                "ingress.selector.__proto__",
            ]);
        });

        for (const name of ["constructor", "toString", "hasOwnProperty"]) {
            it(`an ingress or internal gateway route to "${name}" is a route to an unknown service`, () => {
                const got = reasons((r) => {
                    r.ingress.routes = [{ prefix: "/", service: name }];
                    r.internalGateway = { enabled: true, hosts: ["*.shop.svc.cluster.local"], routes: [{ prefix: "/", service: name }] };
                });
                expect(got).to.deep.equal([
                    `ingress.routes[0].service is "${name}", which is not a key of services; it must name a service of this stack ("sample-app")`,
                    `internalGateway.routes[0].service is "${name}", which is not a key of services; it must name a service of this stack ("sample-app")`,
                ]);
            });
        }

        it("a top-level __proto__ key from Pulumi's config map is an own key and is reported", () => {
            const { raw } = configFromPulumiMap({ "mesh-traffic:__proto__": '{"polluted": true}', "mesh-traffic:namespace": "shop" });
            expect(Object.getPrototypeOf(raw)).to.equal(Object.prototype);
            expect(checkStackConfig(raw).problems.map((p) => p.reason)).to.deep.equal([
                '__proto__ is a key JavaScript reserves ("__proto__"); no config key may be __proto__',
            ]);
            const snapshot = configFromCliJson({ "mesh-traffic:__proto__": { value: "x" } });
            expect(Object.getPrototypeOf(snapshot.config)).to.equal(Object.prototype);
            expect(Object.hasOwn(snapshot.config, "__proto__")).to.equal(true);
        });

        for (const name of ["constructor", "__proto__", "toString"]) {
            it(`mesh-release --service ${name} is a service that does not exist`, () => {
                const problems: ConfigProblem[] = [];
                expect(serviceContext(base(), name, problems)).to.equal(undefined);
                expect(problems.map((p) => p.reason)).to.deep.equal([`services.${name} does not exist in the stack config; known services: sample-app`]);
            });
        }

        it("a service really named constructor works like any other (own property)", () => {
            const raw = base();
            raw.services["constructor"] = { image: "i", stable: { version: "v1" }, canary: {} };
            (raw.ingress as { routes: unknown[] }).routes = [{ prefix: "/", service: "constructor" }];
            const result = checkStackConfig(raw);
            expect(result.problems).to.deep.equal([]);
            expect(Object.keys(result.config?.services ?? {})).to.deep.equal(["sample-app", "constructor"]);
        });
    });

    describe("control characters in strings that reach a header, a label or an image", () => {
        const cases: Array<[string, (r: Raw) => void, string, string]> = [
            ["a header pin value", (r) => (svc(r).pins = [{ header: "x-canary", exact: 'a"b\nc: d' }]), "services.sample-app.pins[0].exact", '"a\\"b\\nc: d"'],
            ["a cookie pin value", (r) => (svc(r).pins = [{ cookie: "c", value: "v\r\n" }]), "services.sample-app.pins[0].value", '"v\\r\\n"'],
            ["an A/B flag value", (r) => (svc(r).abTest = { header: "x-new", value: "on\u0000" }), "services.sample-app.abTest.value", '"on\\u0000"'],
            ["a fault header value", (r) => (svc(r).faults = { header: { name: "x-f", value: "t\tx\n" }, abort: { percentage: 1, httpStatus: 500 } }), "services.sample-app.faults.header.value", '"t\\tx\\n"'],
            ["an image", (r) => (svc(r).image = "img:{version}\nevil"), "services.sample-app.image", '"img:{version}\\nevil"'],
            ["a version's image", (r) => (svc(r).canary.image = "img:v2\u007f"), "services.sample-app.canary.image", '"img:v2\\u007f"'],
            ["a gateway selector label value", (r) => (r.ingress.selector = { istio: "ingress\ngateway" }), "ingress.selector.istio", '"ingress\\ngateway"'],
            ["a selector label key", (r) => (r.ingress.selector = { "is\ttio": "x" }), "ingress.selector.is\ttio", '"is\\ttio"'],
        ];
        for (const [what, edit, path, shown] of cases) {
            it(what, () => {
                const problems = problemsOf(edit);
                const p = problems.find((q) => q.propertyPath === path);
                expect(p, JSON.stringify(problems)).not.to.equal(undefined);
                expect(p?.reason).to.match(new RegExp(`${shown.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)?; it must not contain control characters`));
            });
        }
    });

    describe("the release policy: one schema and one rule set for pulumi up and mesh-release", () => {
        const table: Array<[string, Obj, string[]]> = [
            [
                "steps that decrease or repeat, and interval 0s",
                { steps: [50, 10, 10], interval: "0s" },
                [
                    "release.steps[1] is 10; steps must increase strictly (50 comes before it); list the canary weights in ascending order",
                    "release.steps[2] is 10; steps must increase strictly (10 comes before it); list the canary weights in ascending order",
                    'release.interval is "0s"; it must be at least 1s (the analysis window)',
                ],
            ],
            [
                "Prometheus and webhook URLs that are not http or https",
                {
                    prometheus: { url: "file:///etc/passwd" },
                    webhooks: [
                        { name: "a", type: "pre-rollout", url: "javascript:alert(1)" },
                        { name: "b", type: "rollback", url: "ftp://example.com/x" },
                    ],
                },
                [
                    'release.prometheus.url is "file:///etc/passwd"; it must be an http or https URL such as http://127.0.0.1:9090',
                    'release.webhooks[0].url is "javascript:alert(1)"; it must be an http or https URL such as https://hooks.example.com/rollout',
                    'release.webhooks[1].url is "ftp://example.com/x"; it must be an http or https URL such as https://hooks.example.com/rollout',
                ],
            ],
            [
                "credentials inside a URL",
                { prometheus: { url: "http://ops:pw-1@prom:9090" }, webhooks: [{ name: "a", type: "pre-rollout", url: "https://tok-9@hooks.example.com/x" }] },
                [
                    "release.prometheus.url contains credentials (http://[secret]@prom:9090); put them in release.prometheus.basicAuth as a secret (pulumi config set --secret --path 'release.prometheus.basicAuth.password' <password>)",
                    "release.webhooks[0].url contains credentials (https://[secret]@hooks.example.com); a webhook URL must not carry credentials",
                ],
            ],
            [
                "p95 latency 0 (the rule is: greater than 0)",
                { analysis: { latencyP95Ms: 0 } },
                ["release.analysis.latencyP95Ms is 0; it must be a number of milliseconds greater than 0"],
            ],
        ];
        for (const [what, release, expected] of table) {
            it(`${what}: refused by the program`, () => {
                expect(reasons((r) => (r.release = release))).to.deep.equal(expected);
            });
            it(`${what}: refused by mesh-release with the same reasons`, () => {
                let err: unknown;
                try {
                    resolvePolicy("test", release);
                } catch (e) {
                    err = e;
                }
                expect(err).to.be.instanceOf(ReleaseError);
                expect((err as ReleaseError).problems.map((p) => p.reason)).to.deep.equal(expected);
            });
        }
        it("no message echoes a URL's credentials", () => {
            const text = JSON.stringify(problemsOf((r) => (r.release = { prometheus: { url: "http://ops:pw-1@prom:9090" } })));
            expect(text).not.to.contain("pw-1");
            expect(text).not.to.contain("ops:");
        });
    });

    describe("plain-text secrets", () => {
        it("a bearer token or password in plain config is refused by the program, with the command that stores it as a secret", () => {
            const problems = problemsOf((r) => (r.release = { prometheus: { bearerToken: "tok-plain-1" } }), []);
            expect(problems).to.deep.equal([
                {
                    propertyPath: "release.prometheus.bearerToken",
                    reason: "release.prometheus.bearerToken is [secret] in plain text; a credential must be a Pulumi secret",
                    fix: "pulumi config set --secret --path 'release.prometheus.bearerToken' <value>",
                },
            ]);
            expect(JSON.stringify(problems)).not.to.contain("tok-plain-1");
            const pw = problemsOf((r) => (r.release = { prometheus: { basicAuth: { username: "u", password: "pw-plain-2" } } }), []);
            expect(pw.map((p) => p.propertyPath)).to.deep.equal(["release.prometheus.basicAuth.password"]);
        });
        it("the same token as a Pulumi secret is accepted", () => {
            const raw = base();
            raw.release = { prometheus: { bearerToken: "tok-secret-1" } };
            expect(checkStackConfig(raw, { secretKeys: ["release"] }).problems).to.deep.equal([]);
        });
        it("mesh-release refuses a token its stack does not hold as a secret", () => {
            expect(() => resolvePolicy("test", { prometheus: { bearerToken: "tok-plain-3" } }, {}, { secrets: [] })).to.throw(
                ReleaseError,
                "release.prometheus.bearerToken is [secret] in plain text; a credential must be a Pulumi secret",
            );
            expect(resolvePolicy("test", { prometheus: { bearerToken: "tok-ok" } }, {}, { secrets: ["tok-ok"] }).prometheus.bearerToken).to.equal("tok-ok");
        });
    });

    describe("nothing is silently dropped", () => {
        it("loadBalancer with both simple and consistentHash", () => {
            expect(reasons((r) => (svc(r).trafficPolicy = { loadBalancer: { simple: "RANDOM", consistentHash: { useSourceIp: true } } }))).to.deep.equal([
                "services.sample-app.trafficPolicy.loadBalancer sets both simple and consistentHash; Istio applies one: set simple or consistentHash, not both",
            ]);
        });
        it("loadBalancer of a subset with both", () => {
            expect(problemsOf((r) => (svc(r).canary.trafficPolicy = { loadBalancer: { simple: "RANDOM", consistentHash: { useSourceIp: true } } })).map((p) => p.propertyPath)).to.deep.equal([
                "services.sample-app.canary.trafficPolicy.loadBalancer",
            ]);
        });
        it("a pin with both header and cookie, and with keys of the other kind", () => {
            expect(
                reasons((r) => (svc(r).pins = [{ header: "x", exact: "1", cookie: "c", value: "v" }, { cookie: "c", value: "v", prefix: "p" }, { header: "x", exact: "1", value: "v" }])),
            ).to.deep.equal([
                "services.sample-app.pins[0] sets header and cookie; a pin is either { header, exact | prefix | regex } or { cookie, value }: split it into two pins",
                "services.sample-app.pins[1] is a cookie pin but sets prefix; a cookie pin takes only cookie and value",
                "services.sample-app.pins[2] is a header pin but sets value; a header pin takes header and one of exact, prefix, regex",
            ]);
        });
    });

    describe("every object name and every mesh host has one owner; a clash names both claimants", () => {
        it("a service named ingress with the ingress enabled (two VirtualServices named ingress)", () => {
            expect(reasons((r) => (r.services["ingress"] = { image: "i", stable: { version: "v1" }, canary: {} }))).to.deep.equal([
                'services.ingress makes VirtualService "ingress", which ingress (the ingress gateway) also makes; each object name must have one owner: rename the service',
            ]);
        });
        it("a service named internal with the internal gateway routing", () => {
            expect(
                reasons((r) => {
                    r.services["internal"] = { image: "i", stable: { version: "v1" }, canary: {} };
                    r.internalGateway = { enabled: true, hosts: ["*.shop.svc.cluster.local"], routes: [{ prefix: "/", service: "sample-app" }] };
                }),
            ).to.deep.equal([
                'services.internal makes VirtualService "internal", which internalGateway (the internal gateway) also makes; each object name must have one owner: rename the service',
            ]);
        });
        it("two services whose Deployments get one name (a + b-v1, a-b + v1)", () => {
            expect(
                reasons((r) => {
                    r.services = {
                        a: { image: "i", stable: { version: "b-v1" }, canary: {} },
                        "a-b": { image: "i", stable: { version: "v1" }, canary: {} },
                    };
                    r.ingress = {};
                }),
            ).to.deep.equal([
                'services.a-b.stable makes Deployment "a-b-v1", which services.a.stable also makes; each object name must have one owner: rename the service or the version',
            ]);
        });
        it("a service host equal to an egress host", () => {
            expect(reasons((r) => (r.services["ext"] = { image: "i", stable: { version: "v1" }, canary: {}, hosts: ["api.external-service.com"] }))).to.deep.equal([
                'services.ext.hosts[0] is "api.external-service.com", which egress[0].host also claims; each mesh host must belong to one VirtualService: remove one of them',
            ]);
        });
        it("a short host and its qualified form are one host", () => {
            expect(
                reasons((r) => (r.services["other"] = { image: "i", stable: { version: "v1" }, canary: {}, hosts: ["sample-app.shop.svc.cluster.local"] })),
            ).to.deep.equal([
                'services.other.hosts[0] is "sample-app.shop.svc.cluster.local", which services.sample-app (host "sample-app") also claims; each mesh host must belong to one VirtualService: remove one of them',
            ]);
        });
    });

    describe("values Istio or Envoy would refuse or misread", () => {
        it("an empty rewrite", () => {
            expect(reasons((r) => (svc(r).uriRoutes = [{ prefix: "/x", rewrite: "" }]))).to.deep.equal([
                'services.sample-app.uriRoutes[0].rewrite is ""; it must be a non-empty URI such as "/"; remove the key for no rewrite',
            ]);
        });
        it("an unknown retryOn condition (Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on lists, or an HTTP status)", () => {
            expect(reasons((r) => (svc(r).retries = { attempts: 2, retryOn: "5xx,bogus, reset,,503" }))).to.deep.equal([
                'services.sample-app.retries.retryOn is "5xx,bogus, reset,,503"; "bogus", " reset" and "" are not Envoy retry conditions; it must be a comma-separated list (no spaces) of 5xx, gateway-error, reset, reset-before-request, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, envoy-ratelimited, http3-post-connect-failure, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable or an HTTP status code',
            ]);
            const ok = base();
            svc(ok).retries = { attempts: 2, retryOn: "5xx,reset,connect-failure,refused-stream,unavailable,503" };
            expect(checkStackConfig(ok).problems).to.deep.equal([]);
        });
        for (const key of ["ingress", "internalGateway", "egressGateway"] as const) {
            it(`an empty ${key} selector`, () => {
                const got = problemsOf((r) => {
                    const cur = (r[key] ?? {}) as Obj;
                    r[key] = { ...cur, ...(key === "internalGateway" ? { enabled: true, hosts: ["*.shop.svc.cluster.local"] } : {}), selector: {} };
                });
                expect(got.map((p) => p.reason)).to.deep.equal([
                    `${key}.selector is {}; it must have at least one label (an empty one applies this Gateway to every gateway workload in the mesh), such as { istio: ${key === "ingress" ? "ingressgateway" : key === "internalGateway" ? "internalgateway" : "egressgateway"} }`,
                ]);
            });
        }
    });

    describe("every problem in one run", () => {
        it("a bad step, an unknown route service and a bad timeout are all reported", () => {
            expect(
                problemsOf((r) => {
                    r.release = { steps: [200] };
                    r.ingress.routes = [{ prefix: "/", service: "nope" }];
                    svc(r).timeout = "1d";
                }).map((p) => p.propertyPath),
            ).to.deep.equal(["services.sample-app.timeout", "release.steps[0]", "ingress.routes[0].service"]);
        });
        it("a bad host element does not hide a bad timeout", () => {
            expect(
                problemsOf((r) => {
                    svc(r).hosts = ["app", 5];
                    svc(r).timeout = "1d";
                }).map((p) => p.propertyPath),
            ).to.deep.equal(["services.sample-app.hosts[1]", "services.sample-app.timeout"]);
        });
        it("two bad elements of one array are both reported, with the rest of the config", () => {
            expect(
                problemsOf((r) => {
                    r.egress = [{ host: 5 }, { host: "ok.example.com", port: 0 }];
                    svc(r).canary.weight = 120;
                    svc(r).timeout = "1d";
                }).map((p) => p.propertyPath),
            ).to.deep.equal(["services.sample-app.canary.weight", "services.sample-app.timeout", "egress[0].host", "egress[1].port"]);
        });
    });

    describe("no wrong follow-on messages", () => {
        it("a bad version label is one problem (no 'canary.version is not set')", () => {
            expect(reasons((r) => (svc(r).canary.version = "V_2"))).to.deep.equal([
                `services.sample-app.canary.version is "V_2"; it must be a lower-case version label such as "v1" or "1-2-0" (letters, digits, '-', '.')`,
            ]);
        });
        it("a null service is one problem (no 'route to unknown service')", () => {
            expect(reasons((r) => (r.services["sample-app"] = null as unknown as RawStack["services"][string]))).to.deep.equal([
                "services.sample-app is null; it must be an object",
            ]);
        });
    });
});
