/**
 * The component provider's entry (PulumiPlugin.yaml, `runtime: nodejs`; package.json `main`). The Node language
 * host runs it as a plugin (`@pulumi/pulumi/cmd/run-plugin <this dir> <engine address>`), and
 * `componentProviderHost` serves the package `mesh-traffic`: a schema inferred from the classes' source
 * (provider/canary.ts, provider/workloads.ts) and their `construct`. Loading this module starts the host: tests
 * import the classes' own files, never this one.
 */
import { componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import { Canary } from "./canary";
import { Workloads } from "./workloads";

/** The package name: the first part of every type token (`mesh-traffic:index:Canary`). */
const PROVIDER_NAME = "mesh-traffic";

void componentProviderHost({ name: PROVIDER_NAME, components: [Canary, Workloads], dirname: __dirname });
