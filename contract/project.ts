/**
 * The Pulumi project both programs share: its name (also the config namespace) and how stacks are named. How
 * Pulumi hands a stack's config over is contract/stackConfig.ts. Pure.
 */

/**
 * The Pulumi project name and config namespace: `pulumi config set --path 'services.sample-app.canary.weight' 25`
 * needs no prefix.
 */
export const PROJECT = "mesh-traffic";

/** The conventional service stack name of a service in an environment: `<env>.<svc>`. */
export const serviceStackName = (env: string, service: string): string => `${env}.${service}`;

/** The service of a service stack name of `env` (`production.checkout` -> `checkout`); undefined for any other name. */
export const serviceOfStackName = (env: string, stack: string): string | undefined =>
    stack.startsWith(`${env}.`) && stack.length > env.length + 1 ? stack.slice(env.length + 1) : undefined;

/** The last segment of a stack name as `pulumi stack` prints it (`org/project/dev` -> `dev`). */
export const shortStackName = (stack: string): string => stack.slice(stack.lastIndexOf("/") + 1);
