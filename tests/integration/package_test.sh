#!/usr/bin/env bash
# The Debian package, as `cpack -G DEB` makes it from a build folder: its
# files (dpkg-deb -c), its control fields and conffiles (dpkg-deb -I), the
# packaged unit checked by systemd-analyze verify when it can run here, and
# `cmake --install --prefix` putting the same files under a prefix.
#   package_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$1
version=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

arch=$(dpkg --print-architecture)
if ! cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log"
  echo "FAIL: cpack -G DEB"
  exit 1
fi
deb="$work/out/tender_${version}_${arch}.deb"
[ -f "$deb" ] || { ls -l "$work/out"; echo "FAIL: no $(basename "$deb")"; exit 1; }
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

contents=$(dpkg-deb -c "$deb")
expected_files=(
  ./usr/bin/tender
  ./lib/systemd/system/tender.service
  ./etc/tender/config.yaml
  ./var/lib/tender/
  ./usr/share/bash-completion/completions/tender
  ./usr/share/man/man1/tender.1.gz
)
for f in "${expected_files[@]}"; do
  grep -qE " ${f//./\\.}\$" <<<"$contents" || fail "the package does not hold $f"
done
grep -qE '^-rwxr-xr-x .* \./usr/bin/tender$' <<<"$contents" || fail "/usr/bin/tender is not 0755"
grep -qE '^drwx------ .* \./var/lib/tender/$' <<<"$contents" || fail "/var/lib/tender is not 0700"

info=$(dpkg-deb -I "$deb")
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libstdc++6 libsystemd0 libsqlite3 libyaml-cpp libcpprest libssl procps; do
  grep -q "$lib" <<<"$depends" || fail "Depends does not name $lib"
done
grep -q "docker.io" <<<"$(dpkg-deb -f "$deb" Recommends)" || fail "Recommends does not name docker.io"
[ "$(dpkg-deb -f "$deb" Package)" = tender ] || fail "Package is not tender"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is not $version"
for script in conffiles postinst prerm postrm; do
  grep -qE "lines +(\* +)?$script( |\$)" <<<"$info" || fail "no $script in the control area"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$work/conffiles"
grep -qx /etc/tender/config.yaml "$work/conffiles" || fail "/etc/tender/config.yaml is not a conffile"

# The packaged files themselves.
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/tender" --version >/dev/null || fail "the packaged binary does not run"
unit="$work/root/lib/systemd/system/tender.service"
for line in Type=notify After=docker.service Wants=docker.service Restart=always \
    'ExecReload=/bin/kill -HUP $MAINPID' NoNewPrivileges=yes ProtectSystem=strict \
    ProtectHome= PrivateTmp=yes ReadWritePaths=/var/lib/tender CapabilityBoundingSet=; do
  grep -qF "$line" "$unit" || fail "the unit lacks $line"
done
if command -v systemd-analyze >/dev/null 2>&1; then
  # The packaged unit as this host would load it, but for ExecStart naming
  # the extracted binary (this host has no /usr/bin/tender) and man finding
  # the packaged page (Documentation=man:tender(1)).
  mkdir -p "$work/unit"
  sed "s#/usr/bin/tender#$work/root/usr/bin/tender#" "$unit" >"$work/unit/tender.service"
  man_check=(--man=yes)
  if ! command -v man >/dev/null 2>&1; then
    man_check=(--man=no)
    echo "systemd-analyze verify: man is not installed here, Documentation=man:tender(1) not checked"
  fi
  if MANPATH="$work/root/usr/share/man" systemd-analyze verify "${man_check[@]}" \
      "$work/unit/tender.service" >"$work/verify.log" 2>&1; then
    echo "systemd-analyze verify: ok"
  elif [ ! -d /lib/systemd/system ] || ! systemd-analyze verify --man=no \
      /lib/systemd/system/basic.target >/dev/null 2>&1; then
    echo "SKIP systemd-analyze verify: it cannot verify even this host's own units here"
  else
    cat "$work/verify.log"
    fail "systemd-analyze verify"
  fi
else
  echo "SKIP systemd-analyze verify: systemd-analyze is not installed (scripts/setup installs systemd)"
fi

# The packaged binary with the packaged config serves: the state directory,
# the port and the instance are this test's (flags win over the file), the
# rest is the file's (JSON log lines).
port=$(shuf -i 20000-60000 -n 1)
"$work/root/usr/bin/tender" serve --config "$work/root/etc/tender/config.yaml" \
  --state-dir "$work/state" --listen "127.0.0.1:$port" --instance "package-test-$$" \
  >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "the packaged binary and config do not serve"
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "tender serve did not stop cleanly on SIGTERM"
head -1 "$work/serve.log" | grep -q '^{"time":' || { cat "$work/serve.log"; fail "the packaged config's logs are not JSON"; }

# `cmake --install --prefix DIR`: the same files under DIR.
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "cmake --install"; }
for f in "${expected_files[@]}"; do
  [ -e "$work/prefix/${f#./}" ] || fail "cmake --install --prefix does not put $f under the prefix"
done

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "package: ok"
