#!/usr/bin/env bash
# Installs NIST's OSCAL JSON schemas (OSCAL_VERSION in lab/versions.env) into
# the cache for the report's schema tests, and prints their folder:
#
#   lab/oscal/install.sh
#
# Where they come from: Maven Central's dev.metaschema.oscal:liboscal-java
# (LIBOSCAL_JAVA_VERSION), fetched by Maven (the registry's own client, -C:
# strict checksums), whose jar carries the schemas NIST's OSCAL metaschema
# generates as resources; their $id names the release
# (…/oscal-ar-1.1.3-schema.json). NIST publishes the schemas as GitHub
# release assets, which no registry mirrors; NIST's own Maven artifact,
# gov.nist.secauto.oscal:liboscal-java 3.0.3, stops at 1.1.2, while the
# report writes 1.1.3. The jar's sha256 and each schema's are pinned in
# lab/oscal/SHA256SUMS; nothing is installed until all match, and the
# folder is renamed into place last. The jar is not kept.
#
# Installed: $RAMPART_CACHE/oscal/oscal-$OSCAL_VERSION/oscal-ar_schema.json
# (assessment results) and oscal-poam_schema.json (plan of action and
# milestones), read by internal/oscalschema.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pins=$LAB_DIR/oscal/SHA256SUMS
base=$RAMPART_CACHE/oscal
home=$base/oscal-$OSCAL_VERSION
jar=liboscal-java-$LIBOSCAL_JAVA_VERSION.jar
members=(schema/json/oscal-ar_schema.json schema/json/oscal-poam_schema.json)
sha() { sha256sum "$1" | cut -d' ' -f1; }
pin() { awk -v f="$1" '$2 == f {print $1}' "$pins"; }

installed=1
for m in "${members[@]}"; do
  [ -f "$home/${m##*/}" ] && [ "$(sha "$home/${m##*/}")" = "$(pin "$m")" ] || installed=0
done
if [ "$installed" = 1 ]; then echo "$home"; exit 0; fi

want=$(pin "$jar")
[[ $want =~ ^[0-9a-f]{64}$ ]] || lab_die "oscal: no sha256 pinned for $jar in $pins"
command -v mvn >/dev/null || lab_die "oscal: mvn not found (bash lab/deps.sh installs maven)"
command -v unzip >/dev/null || lab_die "oscal: unzip not found (bash lab/deps.sh installs it)"
mkdir -p "$base"
tmp=$(mktemp -d "$base/.install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
lab_log "oscal: downloading liboscal-java $LIBOSCAL_JAVA_VERSION from Maven Central (about 1.3 MB)" >&2
mvn -q -B -C -f "$LAB_DIR/oscal/pom.xml" -Dliboscal.version="$LIBOSCAL_JAVA_VERSION" \
  -Doutput.dir="$tmp/dl" dependency:copy >&2 || lab_die "oscal: maven download failed"
got=$(sha "$tmp/dl/$jar")
[ "$got" = "$want" ] || lab_die "oscal: sha256 mismatch for $jar: got $got, pinned $want"
mkdir -p "$tmp/home"
for m in "${members[@]}"; do
  unzip -p "$tmp/dl/$jar" "$m" >"$tmp/home/${m##*/}" || lab_die "oscal: $jar has no $m"
  got=$(sha "$tmp/home/${m##*/}")
  [ "$got" = "$(pin "$m")" ] || lab_die "oscal: sha256 mismatch for $m in $jar: got $got, pinned $(pin "$m")"
done
rm -rf "$home"
# -T: a concurrent install that won the race is kept (same verified bytes).
mv -T "$tmp/home" "$home" 2>/dev/null || true
lab_log "oscal: installed OSCAL $OSCAL_VERSION schemas in $home" >&2
echo "$home"
