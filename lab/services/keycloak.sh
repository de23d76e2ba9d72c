#!/usr/bin/env bash
# Keycloak for the lab: org.keycloak:keycloak-quarkus-dist from Maven Central
# (version from versions.env, Maven strict checksums, then the sha256 pinned in
# lab/keycloak/SHA256SUMS), run on the machine's JDK 17 on 127.0.0.1, HTTPS
# only (a lab CA + certificate made here), so realms with sslRequired=all
# behave as they do in production.
#
# Storage is Keycloak's embedded H2 file database ("dev-file") under
# $LAB_STATE/keycloak: the lab proves realm behaviour, not Keycloak's HA story,
# and needs no PostgreSQL. The server runs in production mode (`start
# --optimized`) on a dist built once per version under $RAMPART_CACHE, so a
# restart skips Quarkus augmentation.
#
# lab.env: KEYCLOAK_URL, KEYCLOAK_CA_FILE, KEYCLOAK_ADMIN_USER,
# KEYCLOAK_ADMIN_PASSWORD (generated per lab; bootstrap admin of the master
# realm, used only by tests and the provider in the local profile).

KEYCLOAK_HOME=$RAMPART_CACHE/keycloak/keycloak-$KEYCLOAK_VERSION
KEYCLOAK_STATE=$LAB_STATE/keycloak
# Build-time options; the dist is rebuilt when they change.
KEYCLOAK_BUILD_OPTS=(--db=dev-file --health-enabled=true --metrics-enabled=false --features-disabled=impersonation)

keycloak_fetch() {
  local dl zip want got t0
  dl=$RAMPART_CACHE/keycloak/dl
  zip=$dl/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip
  want=$(awk -v f="keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip" '$2 == f {print $1}' "$LAB_DIR/keycloak/SHA256SUMS")
  [ -n "$want" ] || lab_die "keycloak: no sha256 pinned for $KEYCLOAK_VERSION in lab/keycloak/SHA256SUMS"
  if [ ! -f "$zip" ]; then
    command -v mvn >/dev/null || lab_die "keycloak: mvn not found (apt-get install maven)"
    mkdir -p "$dl"
    t0=$(date +%s)
    lab_log "keycloak: downloading keycloak-quarkus-dist $KEYCLOAK_VERSION from Maven Central"
    mvn -q -B -C -f "$LAB_DIR/keycloak/pom.xml" -Dkeycloak.version="$KEYCLOAK_VERSION" \
      -Doutput.dir="$dl" dependency:copy || lab_die "keycloak: maven download failed"
    lab_log "keycloak: downloaded in $(($(date +%s) - t0))s"
  fi
  got=$(sha256sum "$zip" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -f "$zip"
    lab_die "keycloak: sha256 mismatch for $zip: got $got, pinned $want"
  fi
}

keycloak_install() {
  local stamp tmp
  stamp="build: ${KEYCLOAK_BUILD_OPTS[*]}"
  if [ -x "$KEYCLOAK_HOME/bin/kc.sh" ] && [ "$(cat "$KEYCLOAK_HOME/.rampart-build" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  keycloak_fetch
  tmp=$(mktemp -d "$RAMPART_CACHE/keycloak/.unpack.XXXXXX")
  unzip -q "$RAMPART_CACHE/keycloak/dl/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip" -d "$tmp"
  rm -rf "$KEYCLOAK_HOME"
  mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$KEYCLOAK_HOME"
  rmdir "$tmp"
  lab_log "keycloak: building the optimized dist (once per version)"
  "$KEYCLOAK_HOME/bin/kc.sh" build "${KEYCLOAK_BUILD_OPTS[@]}" >"$RAMPART_CACHE/keycloak/build.log" 2>&1 ||
    { tail -n 30 "$RAMPART_CACHE/keycloak/build.log" >&2; lab_die "keycloak: kc.sh build failed"; }
  echo "$stamp" >"$KEYCLOAK_HOME/.rampart-build"
}

# keycloak_tls_fresh: the server certificate exists and is valid for at
# least another day.
keycloak_tls_fresh() { lab_tls_fresh "$KEYCLOAK_STATE/tls"; }

# keycloak_tls: a lab CA and a server certificate for 127.0.0.1/localhost,
# both made anew when the certificate is missing or within a day of expiry
# (they live 30 days; Keycloak reads them at start, and keycloak_start
# restarts it).
keycloak_tls() { lab_tls "$KEYCLOAK_STATE/tls" keycloak; }

keycloak_start() {
  local port mport pass
  keycloak_install
  keycloak_tls
  lab_stop keycloak # only called when unhealthy: a running one is stale (e.g. an old certificate)
  port=$(lab_port keycloak)
  mport=$(lab_port keycloak-mgmt)
  pass=$(lab_env_get KEYCLOAK_ADMIN_PASSWORD)
  if [ -z "$pass" ]; then
    pass=$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | cut -c1-28)
    lab_env_set KEYCLOAK_ADMIN_USER lab-admin
    lab_env_set KEYCLOAK_ADMIN_PASSWORD "$pass"
  fi
  lab_env_set KEYCLOAK_URL "https://127.0.0.1:$port"
  lab_env_set KEYCLOAK_CA_FILE "$KEYCLOAK_STATE/tls/ca.crt"
  mkdir -p "$KEYCLOAK_STATE/data"
  # --cache=local: no JGroups cluster transport, so nothing listens beyond
  # 127.0.0.1. The transaction log goes to the lab's state, not the shared
  # cached dist. The bootstrap admin is created only on the first start of an empty
  # database; later starts ignore these variables.
  # The password goes in through the environment, not argv (ps shows argv).
  KC_BOOTSTRAP_ADMIN_PASSWORD=$pass lab_spawn keycloak env \
    KC_BOOTSTRAP_ADMIN_USERNAME="$(lab_env_get KEYCLOAK_ADMIN_USER)" \
    JAVA_OPTS_KC_HEAP="-Xms256m -Xmx1g" \
    QUARKUS_TRANSACTION_MANAGER_OBJECT_STORE_DIRECTORY="$KEYCLOAK_STATE/transaction-logs" \
    "$KEYCLOAK_HOME/bin/kc.sh" start --optimized \
    --cache=local \
    --db-url-path="$KEYCLOAK_STATE/data" \
    --http-enabled=false --https-port="$port" --http-host=127.0.0.1 \
    --https-certificate-file="$KEYCLOAK_STATE/tls/server.crt" \
    --https-certificate-key-file="$KEYCLOAK_STATE/tls/server.key" \
    --http-management-port="$mport" \
    --hostname="https://127.0.0.1:$port" \
    --log-level=info
  lab_wait keycloak 240 keycloak_healthy
}

# keycloak_healthy: ready, and its certificate good for another day (so `up`
# renews it before tests meet an expired one).
keycloak_healthy() {
  local url mport
  url=$(lab_env_get KEYCLOAK_URL)
  mport=$(lab_env_get LAB_PORT_KEYCLOAK_MGMT)
  [ -n "$url" ] && [ -n "$mport" ] && keycloak_tls_fresh || return 1
  curl -fsS --max-time 3 --cacert "$(lab_env_get KEYCLOAK_CA_FILE)" \
    "https://127.0.0.1:$mport/health/ready" | grep -q '"UP"'
}

keycloak_stop() { lab_stop keycloak; }
