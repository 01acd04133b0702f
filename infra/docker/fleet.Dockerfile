# syntax=docker/dockerfile:1
# One image for the five fleet services (directory, credentials, bridge, provisioning, health).
# Node 24 runs the TypeScript sources directly (docs/adr/0002), so there is no build step: the
# image holds the workspace's sources and the services' production dependencies, and each ECS
# task picks its service by command: `node services/<name>/src/main.ts`.
#
# Build context: the repository root, as the CDK asset stages it (infra/src/constructs/images.ts
# leaves out node_modules, tool caches, tests and docs).

ARG NODE_IMAGE=node:24.21.0-slim

FROM ${NODE_IMAGE} AS install
WORKDIR /app
RUN npm install --global pnpm@10.34.8
COPY . .
# Only the services and what they import; no dev dependencies, no CDK. Then the web console the
# directory serves (ADR 0025), built as `pnpm install` builds it in a checkout (a filtered install
# does not run the root's postinstall).
RUN pnpm install --frozen-lockfile --prod \
      --filter "@ocf/directory..." --filter "@ocf/credentials..." --filter "@ocf/bridge..." \
      --filter "@ocf/provisioning..." --filter "@ocf/health..." \
    && node console/scripts/build.ts

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the service user: the tasks run with a read-only root
# filesystem anyway, this also holds when someone runs the image elsewhere.
COPY --from=install /app /app
# The node image's unprivileged user, by id so any runtime resolves it (hadolint DL3066).
USER 1000:1000
# Each task definition sets its own command; this default only documents the shape.
CMD ["node", "services/directory/src/main.ts"]
