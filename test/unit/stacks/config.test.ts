/**
 * Stack config parsing (stacks/config.ts): one test per bad-input case of issue 2 that the config layer
 * owns or passes through from a component, unknown keys with "did you mean", every problem in one error,
 * and secrets never in a message. Pure: no Pulumi runtime except the readStackConfig edge at the end.
 */
import { expect } from "chai";
import { AWKWARD_SECRET, expectNoSecret } from "../../support/secrets";
import * as pulumi from "@pulumi/pulumi";
import { baseStackConfig, sampleApp, type RawStack } from "../../support/stackFixtures";
import { didYouMean } from "../../../contract/didYouMean";
import { checkStackConfig, type StackConfigProblem } from "../../../stacks/config";
import { parseStackConfig, readStackConfig, StackConfigError } from "../../../stacks/readConfig";

type Raw = RawStack;

/** A small valid config; each test breaks one thing. */
const base = baseStackConfig;
const svc = sampleApp;

/** The error parseStackConfig throws for `raw` after `edit`. */
function errorFor(edit: (raw: Raw) => void, secretKeys: string[] = []): StackConfigError {
    const raw = base();
    edit(raw);
    try {
        parseStackConfig("test", raw, { secretKeys });
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return err as StackConfigError;
    }
    throw new Error("expected a StackConfigError");
}

const only = (edit: (raw: Raw) => void): StackConfigProblem => {
    const err = errorFor(edit);
    expect(err.problems, err.message).to.have.length(1);
    return err.problems[0] as StackConfigProblem;
};

describe("stack config (stacks/config.ts)", () => {
    it("accepts the base config and fills the documented defaults", () => {
        const cfg = parseStackConfig("test", base());
        expect(cfg.createNamespace).to.equal(true);
        expect(cfg.services["sample-app"]?.port).to.equal(8080);
        expect(cfg.services["sample-app"]?.canary.routed).to.equal(true);
        expect(cfg.egress).to.deep.equal([{ host: "api.external-service.com", port: 443 }]);
        expect(cfg.release.steps).to.deep.equal([2, 10, 25, 50, 75, 100]);
        expect(cfg.release.analysis.mode).to.equal("auto");
    });

    describe("bad input: one test each, the message names path, value and rule", () => {
        const cases: Array<[string, (raw: Raw) => void, StackConfigProblem]> = [
            [
                "weight outside 0..100",
                (r) => (svc(r).canary.weight = 120),
                {
                    propertyPath: "services.sample-app.canary.weight",
                    reason: "services.sample-app.canary.weight is 120; it must be an integer from 0 to 100",
                    fix: "pulumi config set --path 'services.sample-app.canary.weight' <valid value>",
                },
            ],
            [
                "weight not an integer",
                (r) => (svc(r).canary.weight = 2.5),
                {
                    propertyPath: "services.sample-app.canary.weight",
                    reason: "services.sample-app.canary.weight is 2.5; it must be an integer from 0 to 100",
                    fix: "pulumi config set --path 'services.sample-app.canary.weight' <valid value>",
                },
            ],
            [
                "weights of one route not summing to 100",
                (r) => (svc(r).uriRoutes = [{ prefix: "/x", weights: { stable: 60, canary: 30 } }]),
                {
                    propertyPath: "services.sample-app.uriRoutes[0].weights",
                    reason: "the weights of services.sample-app.uriRoutes[0].weights are [60,30] and sum to 90; they must sum to 100",
                    fix: "pulumi config set --path 'services.sample-app.uriRoutes[0].weights' <valid value>",
                },
            ],
            [
                "a canary weight with no canary version",
                (r) => (svc(r).canary = { weight: 25 }),
                {
                    propertyPath: "services.sample-app.canary.weight",
                    reason: "services.sample-app.canary.weight is 25 but canary.version is not set; set canary.version or set the weight to 0",
                    fix: "pulumi config set --path 'services.sample-app.canary.weight' <valid value>",
                },
            ],
            [
                "a route to a subset no DestinationRule defines",
                (r) => (svc(r).uriRoutes = [{ prefix: "/x", subset: "v3" }]),
                {
                    propertyPath: "services.sample-app.uriRoutes[0].subset",
                    reason: 'services.sample-app.uriRoutes[0].subset is "v3"; it must name a subset the DestinationRule of "sample-app" defines ("stable", "canary")',
                    fix: "pulumi config set --path 'services.sample-app.uriRoutes[0].subset' <valid value>",
                },
            ],
            [
                'invalid duration "5x"',
                (r) => (svc(r).timeout = "5x"),
                {
                    propertyPath: "services.sample-app.timeout",
                    reason: 'services.sample-app.timeout is "5x"; it must be a Go-style duration such as "500ms", "30s" or "1m30s" (units h, m, s, ms, us, ns)',
                    fix: "pulumi config set --path 'services.sample-app.timeout' <valid value>",
                },
            ],
            [
                'invalid duration "0s" (Istio wants at least 1ms)',
                (r) => (svc(r).retries = { attempts: 3, perTryTimeout: "0s" }),
                {
                    propertyPath: "services.sample-app.retries.perTryTimeout",
                    reason: 'services.sample-app.retries.perTryTimeout is "0s"; it must be a duration of at least 1ms, such as "1ms" or "5s"',
                    fix: "pulumi config set --path 'services.sample-app.retries.perTryTimeout' <valid value>",
                },
            ],
            [
                'invalid duration "1d"',
                (r) => (svc(r).trafficPolicy = { outlierDetection: { baseEjectionTime: "1d" } }),
                {
                    propertyPath: "services.sample-app.trafficPolicy.outlierDetection.baseEjectionTime",
                    reason:
                        'services.sample-app.trafficPolicy.outlierDetection.baseEjectionTime is "1d"; it must be a Go-style duration such as "500ms", "30s" or "1m30s" (units h, m, s, ms, us, ns)',
                    fix: "pulumi config set --path 'services.sample-app.trafficPolicy.outlierDetection.baseEjectionTime' <valid value>",
                },
            ],
            [
                "a percentage outside 0..100",
                (r) => (svc(r).faults = { delay: { percentage: 120, fixedDelay: "5s" } }),
                {
                    propertyPath: "services.sample-app.faults.delay.percentage",
                    reason: "services.sample-app.faults.delay.percentage is 120; it must be a number from 0 to 100",
                    fix: "pulumi config set --path 'services.sample-app.faults.delay.percentage' <valid value>",
                },
            ],
            [
                "an httpStatus outside 200..599",
                (r) => (svc(r).faults = { abort: { percentage: 10, httpStatus: 700 } }),
                {
                    propertyPath: "services.sample-app.faults.abort.httpStatus",
                    reason: "services.sample-app.faults.abort.httpStatus is 700; it must be an integer from 200 to 599",
                    fix: "pulumi config set --path 'services.sample-app.faults.abort.httpStatus' <valid value>",
                },
            ],
            [
                "a header regex RE2 rejects (a lookahead JavaScript accepts)",
                (r) => (svc(r).pins = [{ header: "x-user", regex: "^(?=admin).*" }]),
                {
                    propertyPath: "services.sample-app.pins[0].regex",
                    reason:
                        'services.sample-app.pins[0].regex is "^(?=admin).*"; it must be a regular expression RE2 accepts (Istio uses RE2: no lookarounds, no backreferences); RE2 says: invalid perl operator: (?=',
                    fix: "pulumi config set --path 'services.sample-app.pins[0].regex' <valid value>",
                },
            ],
            [
                "SIMPLE TLS without credentialName",
                (r) => (r.ingress.tls = { mode: "SIMPLE" }),
                {
                    propertyPath: "ingress.tls.credentialName",
                    reason: 'ingress.tls.credentialName is missing; SIMPLE TLS needs the name of the Secret with the certificate, such as "sample-app-tls"',
                    fix: "pulumi config set --path 'ingress.tls.credentialName' <valid value>",
                },
            ],
            [
                "MUTUAL TLS without credentialName",
                (r) => (r.ingress.tls = { mode: "MUTUAL" }),
                {
                    propertyPath: "ingress.tls.credentialName",
                    reason: 'ingress.tls.credentialName is missing; MUTUAL TLS needs the name of the Secret with the certificate, such as "sample-app-tls"',
                    fix: "pulumi config set --path 'ingress.tls.credentialName' <valid value>",
                },
            ],
            [
                "a port out of range",
                (r) => (svc(r).port = 70000),
                {
                    propertyPath: "services.sample-app.port",
                    reason: "services.sample-app.port is 70000; it must be an integer from 1 to 65535",
                    fix: "pulumi config set --path 'services.sample-app.port' <valid value>",
                },
            ],
            [
                "an empty host list",
                (r) => (svc(r).hosts = []),
                {
                    propertyPath: "services.sample-app.hosts",
                    reason: 'services.sample-app.hosts is []; it must be a list of at least one host, such as ["sample-app"]',
                    fix: "pulumi config set --path 'services.sample-app.hosts' <valid value>",
                },
            ],
            [
                "* in a mesh VirtualService",
                (r) => (svc(r).hosts = ["*"]),
                {
                    propertyPath: "services.sample-app.hosts[0]",
                    reason: 'services.sample-app.hosts[0] is "*"; it must be a specific host: "*" in a mesh VirtualService captures every host in the mesh; name the service',
                    fix: "pulumi config set --path 'services.sample-app.hosts[0]' <valid value>",
                },
            ],
            [
                "two components claiming the DestinationRule of one host",
                (r) => (r.egressGateway = { gatewayService: "sample-app" }),
                {
                    propertyPath: "egressGateway.gatewayService",
                    reason:
                        'egressGateway.gatewayService is "sample-app", whose DestinationRule in namespace "shop" is already claimed by mesh-traffic:index:Canary "sample-app"; ' +
                        'mesh-traffic:index:EgressGateway "egress" cannot emit a second one (Istio does not merge them reliably): pass the circuit breaker as the Canary\'s trafficPolicy instead',
                    fix: "pulumi config set --path 'egressGateway.gatewayService' <valid value>",
                },
            ],
            [
                "an unknown config key (a typo)",
                (r) => (svc(r).canary.wieght = 5),
                {
                    propertyPath: "services.sample-app.canary.wieght",
                    reason: 'services.sample-app.canary.wieght is not a key of services.sample-app.canary; did you mean "weight"?',
                    fix: "pulumi config rm --path 'services.sample-app.canary.wieght', then set 'services.sample-app.canary.weight'",
                },
            ],
            [
                "the seed's circuitBreaker field (Istio's is outlierDetection)",
                (r) => (svc(r).trafficPolicy = { circuitBreaker: { consecutive5xxErrors: 5 } }),
                {
                    propertyPath: "services.sample-app.trafficPolicy.circuitBreaker",
                    reason: 'services.sample-app.trafficPolicy.circuitBreaker is not a key of services.sample-app.trafficPolicy; did you mean "outlierDetection"?',
                    fix: "pulumi config rm --path 'services.sample-app.trafficPolicy.circuitBreaker', then set 'services.sample-app.trafficPolicy.outlierDetection'",
                },
            ],
            [
                "a gateway route to a service the stack does not define",
                (r) => (r.ingress.routes = [{ prefix: "/", service: "frontend" }]),
                {
                    propertyPath: "ingress.routes[0].service",
                    reason: 'ingress.routes[0].service is "frontend", which is not a key of services; it must name a service of this stack ("sample-app")',
                    fix: "pulumi config set --path 'ingress.routes[0].service' <one of services>",
                },
            ],
        ];
        for (const [what, edit, expected] of cases) {
            it(what, () => expect(only(edit)).to.deep.equal(expected));
        }

        it("an unknown top-level key: did you mean, or the list of allowed keys", () => {
            const err = errorFor((r) => {
                r.namepsace = "x";
                r.colour = "blue";
            });
            expect(err.problems.map((p) => p.reason)).to.deep.equal([
                'namepsace is not a key of the mesh-traffic namespace; did you mean "namespace"?',
                "colour is not a key of the mesh-traffic namespace; allowed keys: layout, platformStack, routingApi, namespace, createNamespace, skipAwait, ambient, ingress, internalGateway, services, egress, egressGateway, routing, release, rollouts",
            ]);
        });
    });

    it("reports every problem at once (schema and component rules), with the stack name, nothing deployed", () => {
        const err = errorFor((r) => {
            svc(r).canary.weight = 120;
            svc(r).timeout = "5x";
            r.ingress.tls = { mode: "MUTUAL" };
            r.egress = [{ host: "*.example.com", port: 0 }];
        });
        expect(err.problems.map((p) => p.propertyPath)).to.deep.equal([
            "services.sample-app.canary.weight",
            "services.sample-app.timeout",
            "egress[0].port",
            "ingress.tls.credentialName",
            "egress[0].host",
        ]);
        expect(err.message).to.match(/^stack "test": 5 problems in the mesh-traffic config \(nothing was deployed\):\n/);
        expect(err.message).to.contain("  - services.sample-app.canary.weight is 120; it must be an integer from 0 to 100\n    fix: pulumi config set");
        expect(err.code).to.equal("STACK_CONFIG_INVALID");
        expect(err.stack).to.equal("test");
        expect(pulumi.RunError.isInstance(err)).to.equal(true);
    });

    it("rejects an unrouted canary that still has weight, and a canary version equal to stable", () => {
        const err = errorFor((r) => {
            svc(r).canary = { version: "v1", weight: 10, routed: false };
        });
        expect(err.problems.map((p) => p.reason)).to.deep.equal([
            'services.sample-app.canary.version is "v1", the same as services.sample-app.stable.version; the stable and canary subsets would select the same pods and share one Deployment name',
            "services.sample-app.canary.weight is 10 but services.sample-app.canary.routed is false; an unrouted canary takes no traffic, so its weight must be 0",
        ]);
    });

    it("a promotion's second update (canary.version removed) keeps pins, A/B flag and mirror valid", () => {
        const raw = base();
        svc(raw).canary = { weight: 0, routed: false };
        svc(raw).pins = [{ header: "canary", exact: "true" }];
        svc(raw).abTest = { header: "x-new", value: "on" };
        svc(raw).mirror = { percentage: 10 };
        expect(checkStackConfig(raw).problems).to.deep.equal([]);
    });

    describe("secrets never reach a message", () => {
        const TOKEN = "tok-3f9a-SECRET";
        const PASSWORD = "hunter2-SECRET";

        it("a bad value at a secret path is shown as [secret]", () => {
            const err = errorFor((r) => (r.release = { prometheus: { bearerToken: 12345, basicAuth: { username: "u", password: 67890 } } }));
            expect(err.problems.map((p) => p.reason)).to.deep.equal([
                "release.prometheus.bearerToken is [secret]; it must be a string",
                "release.prometheus.basicAuth.password is [secret]; it must be a string",
            ]);
            expect(err.message).not.to.contain("12345");
            expect(err.message).not.to.contain("67890");
        });

        it("a secret string echoed by another key's problem is scrubbed from the message, problems and fixes", () => {
            const err = errorFor((r) => {
                r.release = { interval: TOKEN, prometheus: { bearerToken: TOKEN, basicAuth: { username: "u", password: PASSWORD, passwrd: PASSWORD } } };
                svc(r).timeout = PASSWORD;
            });
            const everything = JSON.stringify({ message: err.message, problems: err.problems, hint: err.hint });
            expect(everything).not.to.contain(TOKEN);
            expect(everything).not.to.contain(PASSWORD);
            expect(err.problems.map((p) => p.propertyPath)).to.deep.equal([
                "services.sample-app.timeout",
                "release.interval",
                "release.prometheus.basicAuth.passwrd",
                "release.prometheus",
                "release.prometheus.bearerToken",
                "release.prometheus.basicAuth.password",
            ]);
            expect(err.problems[1]?.reason).to.equal("release.interval is \"[secret]\"; it must be a Go-style duration such as 500ms, 30s or 1m30s");
        });

        it("a secret with quotes, backslashes and %-signs echoed by another key's problem (shown JSON-escaped) is redacted too", () => {
            const err = errorFor((r) => {
                r.release = { interval: AWKWARD_SECRET, prometheus: { bearerToken: AWKWARD_SECRET } };
                svc(r).timeout = encodeURIComponent(AWKWARD_SECRET);
            });
            expectNoSecret(JSON.stringify({ message: err.message, problems: err.problems, hint: err.hint }));
            expectNoSecret(err.message);
            expect(err.problems[1]?.reason).to.equal('release.interval is "[secret]"; it must be a Go-style duration such as 500ms, 30s or 1m30s');
        });

        it("every value of a key Pulumi marks secret is shown as [secret]", () => {
            const err = errorFor((r) => (r.release = { interval: "soon" }), ["release"]);
            expect(err.problems[0]?.reason).to.equal("release.interval is [secret]; it must be a Go-style duration such as 500ms, 30s or 1m30s");
            expect(err.problems[0]?.fix).to.equal("pulumi config set --secret --path 'release.interval' <valid value>");
            expect(err.message).not.to.contain("soon");
        });
    });

    describe("didYouMean", () => {
        const table: Array<[string, string[], string | undefined]> = [
            ["wieght", ["weight", "version", "routed"], "weight"],
            ["Weight", ["weight"], "weight"],
            ["keepAlive", ["maxConnections", "connectTimeout", "tcpKeepalive"], "tcpKeepalive"],
            ["circuitBreaker", ["loadBalancer", "connectionPool", "outlierDetection", "tls"], "outlierDetection"],
            ["colour", ["namespace", "services"], undefined],
        ];
        for (const [key, allowed, guess] of table) {
            it(`${key} -> ${String(guess)}`, () => expect(didYouMean(key, allowed)).to.equal(guess));
        }
    });

    describe("readStackConfig (the I/O edge, Pulumi runtime config)", () => {
        let saved: Record<string, string>;
        before(() => (saved = pulumi.runtime.allConfig()));
        after(() => pulumi.runtime.setAllConfig(saved));

        it("keys Pulumi marks secret are secret in every message", () => {
            pulumi.runtime.setAllConfig(
                { "mesh-traffic:release": JSON.stringify({ interval: "tok-in-a-secret-key" }) },
                ["mesh-traffic:release"],
            );
            expect(() => readStackConfig()).to.throw(StackConfigError, "release.interval is [secret]; it must be");
            try {
                readStackConfig();
            } catch (err) {
                expect(String((err as Error).message)).not.to.contain("tok-in-a-secret-key");
            }
        });

        it("reads JSON-encoded keys of the mesh-traffic namespace and flags a misspelt namespace", () => {
            const raw = base();
            const flat: Record<string, string> = Object.fromEntries(
                Object.entries(raw).map(([k, v]) => [`mesh-traffic:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
            );
            pulumi.runtime.setAllConfig({ ...flat, "mesh-traffic:createNamespace": "false" });
            const cfg = readStackConfig();
            expect(cfg.namespace).to.equal("shop");
            expect(cfg.createNamespace).to.equal(false);
            expect(cfg.services["sample-app"]?.canary.weight).to.equal(10);

            pulumi.runtime.setAllConfig({ "mesh-trafic:namespace": "typo" });
            expect(() => readStackConfig()).to.throw(
                StackConfigError,
                'mesh-trafic:namespace is in namespace "mesh-trafic", which this program does not read; did you mean "mesh-traffic:namespace"?',
            );
        });
    });
});
