# Redis 7 from Debian's packages: a cache and a broker, nothing worth persisting.
FROM shop-base:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
USER redis
EXPOSE 6379
ENTRYPOINT ["redis-server", "--save", "", "--appendonly", "no", "--protected-mode", "no"]
CMD ["--bind", "0.0.0.0", "--port", "6379"]
