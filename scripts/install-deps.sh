#!/usr/bin/env bash
# Installs the machine packages sgn's tests, sandbox and benchmarks use, when they are missing:
#   python3 + venv   moto (emulated AWS) runs in a venv the tests and `sgn sandbox` create
#   docker-registry  real OCI registries on loopback (image mirror tests, sandbox ECR stand-in)
#   skopeo           the independent registry client that seeds and checks mirrored images
#   apache2-utils    htpasswd, for the basic-auth registry that stands in for ECR
#   awscli           AWS CLI v2, the peer `npm run bench` compares sgn with
#   zsh, fish        the shells whose completion scripts the tests drive (bash is there already)
#   openssl          makes the throw-away certificate of the proxy tests' TLS endpoint
# Debian/Ubuntu only (apt-get); elsewhere it names what to install and exits non-zero.
set -euo pipefail

packages=(python3 python3-venv docker-registry skopeo apache2-utils awscli time zsh fish openssl)
commands=(python3 "" docker-registry skopeo htpasswd /usr/bin/aws /usr/bin/time zsh fish openssl)

missing=()
for i in "${!packages[@]}"; do
  pkg=${packages[$i]} cmd=${commands[$i]}
  if [ -n "$cmd" ]; then
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  elif command -v dpkg >/dev/null 2>&1 && ! dpkg -s "$pkg" >/dev/null 2>&1 && ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: please install: ${missing[*]} (no apt-get here)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
