# Builds the single greenlight binary (api, worker, migrate, user; dev links the embedded
# Temporal server but is not what this image is for).
FROM golang:1.26 AS build
ENV GOTOOLCHAIN=auto CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /greenlight ./cmd/greenlight

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /greenlight /greenlight
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/greenlight"]
