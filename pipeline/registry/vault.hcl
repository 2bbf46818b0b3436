# vault: a HashiCorp Vault dev server in a container, on localhost:$param_port (default 8200), root token $param_root_token (default "root").
# Needs a docker CLI and engine on the worker. The container is named after
# the pipeline and the job (pikoci-PIPELINE-JOB-vault), not the build, so a
# container left behind by a worker that died mid-build is removed by the
# next build's start instead of holding the port forever; the price is that
# two builds of one job at once would remove each other's container. The
# ready check is polled while start still runs, so it waits for the file
# start writes once its own container exists: a leftover container is never
# mistaken for a ready one.
service_type "vault" {
  params = ["version", "port", "root_token"]

  start "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      c=$(printf 'pikoci-%s-%s-vault' "$BUILD_PIPELINE_NAME" "$BUILD_JOB_NAME" | tr -c 'a-zA-Z0-9_.-' '-')
      rm -f "$WORKDIR/.pikoci-service-$c"
      docker rm -f "$c" >/dev/null 2>&1 || true
      docker run -d --name "$c" -p "$${param_port:-8200}:8200" --cap-add IPC_LOCK -e VAULT_DEV_ROOT_TOKEN_ID="$${param_root_token:-root}" -e VAULT_DEV_LISTEN_ADDRESS=0.0.0.0:8200 hashicorp/vault:$${param_version:-1.15} >"$WORKDIR/.pikoci-service-$c.new"
      mv "$WORKDIR/.pikoci-service-$c.new" "$WORKDIR/.pikoci-service-$c"
      echo "$c started: $(cat "$WORKDIR/.pikoci-service-$c")"
    EOT
    ]
  }

  ready_check "exec" {
    path     = "/bin/sh"
    args     = ["-ec", <<-EOT
      c=$(printf 'pikoci-%s-%s-vault' "$BUILD_PIPELINE_NAME" "$BUILD_JOB_NAME" | tr -c 'a-zA-Z0-9_.-' '-')
      test -s "$WORKDIR/.pikoci-service-$c" || exit 1
      docker exec -e VAULT_ADDR=http://127.0.0.1:8200 "$c" vault status >/dev/null
    EOT
    ]
    interval = "1s"
    timeout  = "60s"
  }

  stop "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      c=$(printf 'pikoci-%s-%s-vault' "$BUILD_PIPELINE_NAME" "$BUILD_JOB_NAME" | tr -c 'a-zA-Z0-9_.-' '-')
      docker rm -f "$c" >/dev/null
      rm -f "$WORKDIR/.pikoci-service-$c"
    EOT
    ]
  }
}

# vault: reads a secret over Vault's HTTP API, in pikoci
# itself (no vault or jq binary needed). Attributes address and token (and
# optionally namespace) on the secret_type; path on the type or per
# variable. KV v2 paths work with or without their "data/" segment.
secret_type "vault" {
  params = ["path"]

  get "exec" {
    path = "/proc/self/exe"
    args = ["builtin", "vault"]
  }
}
