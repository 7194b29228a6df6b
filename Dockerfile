# syntax=docker/dockerfile:1
# finops in a container: a release build, then a small runtime image with the
# binary only. Build and run:
#   docker build -t finops .
#   docker run --rm -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN \
#       -v finops-state:/var/lib/finops finops scan --org --region us-east-1 -o json
# contrib/kubernetes/ runs it as a sharded CronJob.

# Build stage: the official Rust image (gcc for the bundled SQLite and aws-lc).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and target directory between builds; the
# binary is copied out of the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin finops \
    && install -D -m 0755 target/release/finops /out/finops

# Runtime stage: Debian slim (glibc like the build stage, and /bin/sh for the
# Kubernetes CronJob's `--shard $((JOB_COMPLETION_INDEX+1))/N`), CA
# certificates for AWS and the backend, and an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 finops \
    && useradd --system --uid 10001 --gid finops --home-dir /var/lib/finops \
        --no-create-home --shell /usr/sbin/nologin finops \
    && install -d -m 0700 -o finops -g finops /var/lib/finops
COPY --from=build /out/finops /usr/local/bin/finops
# The sync outbox, delta-sync hashes and watch history live here: keep it on
# a volume so they survive the container.
ENV FINOPS_STATE_DIR=/var/lib/finops \
    HOME=/var/lib/finops
VOLUME /var/lib/finops
WORKDIR /var/lib/finops
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
ENTRYPOINT ["finops"]
CMD ["--help"]
