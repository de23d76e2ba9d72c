#!/usr/bin/env bash
# An S3 server with Object Lock for the audit tests: versitygw v1.8.0
# (Apache-2.0), built from Go modules by `lab/toolchain.sh versitygw`, run on
# 127.0.0.1 over its posix backend with a versioning directory (Object Lock
# needs versioning). MinIO is AGPL and is not built here.
#
# The root keys are generated once and kept private in the lab state, so a
# restarted server accepts what lab.env says and the data written by earlier
# runs stays reachable. They reach versitygw through its environment, never
# argv (ps shows argv).
#
# Known deviations from AWS S3 (see README "What runs where"): default bucket
# retention is not stamped on each object version (GetObjectRetention reports
# none; the lock is still enforced on versioned deletes), and a PUT into a
# locked bucket without Content-MD5 or an x-amz-checksum-* header is accepted.
#
# lab.env: RAMPART_LAB_S3_ENDPOINT (http://127.0.0.1:<port>),
# RAMPART_LAB_S3_ACCESS_KEY, RAMPART_LAB_S3_SECRET_KEY (root keys; lab only).

S3_STATE=$LAB_STATE/s3

s3_start() {
  local bin port
  bin=$LAB_BIN/versitygw
  [ -x "$bin" ] || lab_die "s3: $bin not built; run lab/toolchain.sh versitygw (about 75 s)"
  local buildinfo
  buildinfo=$(go version -m "$bin" 2>/dev/null) || true # no pipe: grep -q closing early would SIGPIPE go under pipefail
  grep -q $'mod\tgithub.com/versity/versitygw\tv1.8.0' <<<"$buildinfo" ||
    lab_die "s3: $bin is not versitygw v1.8.0 (go version -m $bin)"
  lab_stop s3 # a stale process might run with keys lab.env no longer has
  port=$(lab_port s3)
  (umask 077; mkdir -p "$S3_STATE/iam" "$S3_STATE/versions" "$S3_STATE/data")
  chmod 700 "$S3_STATE"
  if [ ! -s "$S3_STATE/keys" ]; then
    (umask 077
      printf '%s %s\n' "$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n')" \
        "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$S3_STATE/keys")
  fi
  local access secret
  read -r access secret <"$S3_STATE/keys"
  ROOT_ACCESS_KEY=$access ROOT_SECRET_KEY=$secret lab_spawn s3 "$bin" \
    --port "127.0.0.1:$port" --iam-dir "$S3_STATE/iam" \
    posix --versioning-dir "$S3_STATE/versions" "$S3_STATE/data"
  lab_env_set RAMPART_LAB_S3_ENDPOINT "http://127.0.0.1:$port"
  lab_env_set RAMPART_LAB_S3_ACCESS_KEY "$access"
  lab_env_set RAMPART_LAB_S3_SECRET_KEY "$secret"
  lab_wait s3 60 s3_healthy
}

# s3_healthy: versitygw is running and answers on the address lab.env
# records. An unsigned request is refused with an S3 error document
# (403 AccessDenied): that proves the S3 front end is up; the tests prove the
# keys.
s3_healthy() {
  local ep code
  ep=$(lab_env_get RAMPART_LAB_S3_ENDPOINT)
  [ -n "$ep" ] && [ -n "$(lab_env_get RAMPART_LAB_S3_ACCESS_KEY)" ] || return 1
  lab_running s3 || return 1
  code=$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "$ep/") || return 1
  [ "$code" = 403 ] || [ "$code" = 200 ]
}

s3_stop() {
  lab_stop s3
}
