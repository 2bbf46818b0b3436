# redis: a Redis server in a container, on localhost:$param_port (default 6379).
# Needs a docker CLI and engine on the worker. The container is named after
# the pipeline and the job (pikoci-PIPELINE-JOB-redis), not the build, so a
# container left behind by a worker that died mid-build is removed by the
# next build's start instead of holding the port forever; the price is that
# two builds of one job at once would remove each other's container. The
# ready check is polled while start still runs, so it waits for the file
# start writes once its own container exists: a leftover container is never
# mistaken for a ready one.
service_type "redis" {
  params = ["version", "port"]

  start "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      c=$(printf 'pikoci-%s-%s-redis' "$BUILD_PIPELINE_NAME" "$BUILD_JOB_NAME" | tr -c 'a-zA-Z0-9_.-' '-')
      rm -f "$WORKDIR/.pikoci-service-$c"
      docker rm -f "$c" >/dev/null 2>&1 || true
      docker run -d --name "$c" -p "$${param_port:-6379}:6379" redis:$${param_version:-7} >"$WORKDIR/.pikoci-service-$c.new"
      mv "$WORKDIR/.pikoci-service-$c.new" "$WORKDIR/.pikoci-service-$c"
      echo "$c started: $(cat "$WORKDIR/.pikoci-service-$c")"
    EOT
    ]
  }

  ready_check "exec" {
    path     = "/bin/sh"
    args     = ["-ec", <<-EOT
      c=$(printf 'pikoci-%s-%s-redis' "$BUILD_PIPELINE_NAME" "$BUILD_JOB_NAME" | tr -c 'a-zA-Z0-9_.-' '-')
      test -s "$WORKDIR/.pikoci-service-$c" || exit 1
      docker exec "$c" redis-cli ping | grep -q PONG
    EOT
    ]
    interval = "1s"
    timeout  = "60s"
  }

  stop "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      c=$(printf 'pikoci-%s-%s-redis' "$BUILD_PIPELINE_NAME" "$BUILD_JOB_NAME" | tr -c 'a-zA-Z0-9_.-' '-')
      docker rm -f "$c" >/dev/null
      rm -f "$WORKDIR/.pikoci-service-$c"
    EOT
    ]
  }
}
