#!/bin/bash
# Checks the deployment files without installing them (docs/deploy.md, "What was
# checked"): nginx's site inside a minimal nginx.conf (`nginx -t`, with a self-signed
# certificate in place of the real one), every systemd unit (`systemd-analyze verify`; the
# template as dossier@8081.service, with the programs' paths pointed at this checkout),
# and every script (`bash -n`). A tool that is missing is said and skipped; any failure
# exits non-zero.
#
#   deploy/check.sh                     from the repository's root

set -euo pipefail

repo=$(pwd)
[[ -f $repo/deploy/nginx/dossier.conf ]] || { echo "run from the repository's root" >&2; exit 2; }
work=$(mktemp -d /tmp/deploy-check.XXXXXX)
trap 'rm -rf -- "$work"' EXIT
failed=0

echo "== scripts: bash -n"
for script in deploy/backup/*.sh deploy/scripts/*.sh deploy/scripts/dossier-admin deploy/check.sh; do
    bash -n "$script" || failed=1
done

echo "== nginx -t"
if command -v nginx >/dev/null && command -v openssl >/dev/null; then
    mkdir -p "$work/nginx/logs"
    openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=archive.example.org -days 1 \
        -keyout "$work/nginx/key.pem" -out "$work/nginx/cert.pem" 2>/dev/null
    sed -e "s#/etc/letsencrypt/live/archive.example.org/fullchain.pem#$work/nginx/cert.pem#" \
        -e "s#/etc/letsencrypt/live/archive.example.org/privkey.pem#$work/nginx/key.pem#" \
        deploy/nginx/dossier.conf >"$work/nginx/dossier.conf"
    cat >"$work/nginx/nginx.conf" <<EOF
pid $work/nginx/nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    include $work/nginx/dossier.conf;
}
EOF
    nginx -q -t -p "$work/nginx" -c "$work/nginx/nginx.conf" || failed=1
else
    echo "skipped: nginx or openssl is not installed"
fi

echo "== systemd-analyze verify"
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$work/units" "$work/bin"
    printf '#!/bin/sh\n' >"$work/bin/dossier"
    chmod +x "$work/bin/dossier"
    cp deploy/systemd/* "$work/units/"
    sed -i -e "s#/usr/local/bin/dossier#$work/bin/dossier#" \
        -e "s#/usr/local/lib/dossier/#$repo/deploy/backup/#" "$work/units/"*.service
    mv "$work/units/dossier@.service" "$work/units/dossier@8081.service"
    out=$(cd "$work/units" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1) || failed=1
    if [[ -n $out ]]; then
        echo "$out"
        failed=1
    fi
    (cd "$work/units" && systemd-analyze security --offline=yes ./dossier@8081.service 2>/dev/null | tail -n1) || true
else
    echo "skipped: systemd-analyze is not installed"
fi

if ((failed)); then
    echo "deploy/check.sh: FAILED" >&2
    exit 1
fi
echo "deploy/check.sh: every check passed"
