# syntax=docker/dockerfile:1
# Talangraga Umroh API. Three stages: compile the TypeScript (all dependencies), install the
# production dependencies only, then the runtime image (plain JavaScript, non-root user).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
# The treasurer's console (Vite): built into dist/console, served by the same server at /console.
COPY console ./console
RUN npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# argon2 and sharp ship prebuilt binaries for linux-x64/arm64 glibc, so no compiler is needed.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /data \
 && chown app:app /data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
COPY scripts/start.sh ./scripts/start.sh
# Application files stay root-owned and read-only for the app user; only /data is writable.
USER app
# Embedded database (when DATABASE_URL is unset), uploaded files and generated secrets live here.
VOLUME ["/data"]
EXPOSE 8000
# Ready, not merely alive: 503 while the database is unreachable. Node's own fetch, no curl needed.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/scripts/start.sh"]
