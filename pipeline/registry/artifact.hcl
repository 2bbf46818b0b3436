# artifact: a content-addressed store of directories on the worker's disk
# (or on a shared path given as base_dir). put tars $WORKDIR/<dir>, stores it
# once per content hash and records a version {sha, timestamp}; check lists
# versions newer than the last one (only the newest on a first check); get
# unpacks one into $WORKDIR/<dir>. Needs tar, sha256sum and date.
resource_type "artifact" {
  params = ["dir", "base_dir"]
  cache  = true

  check "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      store="$${param_base_dir:-$CACHE_DIR}"
      if [ ! -d "$store/versions" ]; then echo '[]'; exit 0; fi
      list=$(ls "$store/versions" | sort)
      if [ -z "$version_timestamp" ]; then list=$(echo "$list" | tail -n 1); fi
      out=""
      for f in $list; do
        ts=$${f%%-*}; rest=$${f#*-}; sha=$${rest%.json}
        if [ -n "$version_timestamp" ] && [ "$ts" \< "$version_timestamp" -o "$ts" = "$version_timestamp" ]; then continue; fi
        out="$out$${out:+,}{\"sha\":\"$sha\",\"timestamp\":\"$ts\"}"
      done
      echo "[$out]"
    EOT
    ]
  }

  pull "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      store="$${param_base_dir:-$CACHE_DIR}"
      dest="$WORKDIR/$${param_dir:-artifact}"
      mkdir -p "$dest"
      tar -xzf "$store/data/$version_sha.tar.gz" -C "$dest"
    EOT
    ]
  }

  push "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      store="$${param_base_dir:-$CACHE_DIR}"
      src="$WORKDIR/$${put_dir:-$${param_dir:-artifact}}"
      [ -d "$src" ] || { echo "artifact: $src is not a directory" >&2; exit 1; }
      mkdir -p "$store/data" "$store/versions"
      tmp="$store/data/.upload-$$"
      tar -czf "$tmp" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$src" .
      sha=$(sha256sum "$tmp" | cut -d' ' -f1)
      if [ -e "$store/data/$sha.tar.gz" ]; then rm -f "$tmp"; else mv "$tmp" "$store/data/$sha.tar.gz"; fi
      ts=$(date -u +%Y%m%dT%H%M%S%N)
      echo "{\"sha\":\"$sha\",\"timestamp\":\"$ts\"}" > "$store/versions/$ts-$sha.json"
      echo "[{\"sha\":\"$sha\",\"timestamp\":\"$ts\"}]"
    EOT
    ]
  }
}
