# asc-action container image from source: one static binary, the CA bundle
# and an empty /tmp on an empty base, as the release image (image/Dockerfile,
# built by GoReleaser from the release binaries). The runner builds this one
# for `uses: asc-action/asc-action@<branch or commit>`; at a release tag
# action.yml runs the published image instead. For `docker build .` too.
#
# Build stage: the Go toolchain named by go.mod. The version is stamped with
#   docker build --build-arg VERSION=v1.2.3 .
FROM golang:1.26-alpine AS build
WORKDIR /src
ENV GOFLAGS=-mod=readonly
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY internal ./internal
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/asc-action/asc-action/internal/app.Version=${VERSION}" -o /out/asc-action . \
 && mkdir -p /out/tmp && chmod 1777 /out/tmp

# Final stage: nothing but what the binary needs. No USER: container actions
# run as root, as GitHub documents, so the step can write the workspace and
# the runner's file commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY).
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tmp /tmp
COPY --from=build /out/asc-action /usr/local/bin/asc-action
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
LABEL org.opencontainers.image.source="https://github.com/asc-action/asc-action" \
      org.opencontainers.image.description="App Store Connect API keys: mask, mint JWTs, verify, upload, audit expiry"
ENTRYPOINT ["/usr/local/bin/asc-action"]
