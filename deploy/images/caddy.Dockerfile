# Caddy 2.6 from Debian's packages: TLS with automatic certificates, static and media files.
FROM shop-base:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends caddy ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data /config
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config
VOLUME /data /config
EXPOSE 80 443
ENTRYPOINT ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
