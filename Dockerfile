# Builds the single greenlight binary (api, worker, migrate, user; dev links the embedded
# Temporal server but is not what this image is for).
FROM golang:1.26 AS build
ENV GOTOOLCHAIN=auto CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /greenlight ./cmd/greenlight
# The media directory (GREENLIGHT_MEDIA_DIR in docker-compose.yml), owned by nonroot: a named
# volume mounted there copies this ownership on its first mount, so uploads are writable.
RUN mkdir -p /rootfs/var/lib/greenlight/media

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /greenlight /greenlight
COPY --from=build --chown=65532:65532 /rootfs/var/lib/greenlight /var/lib/greenlight
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/greenlight"]
