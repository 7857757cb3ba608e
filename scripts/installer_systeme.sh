#!/usr/bin/env bash
# Installe, s'ils manquent, les paquets Debian dont l'application a besoin :
# serveur PostgreSQL, bibliothèques de WeasyPrint, Chromium (tests navigateur), poppler (PDF → texte/PNG).
set -euo pipefail

paquets=()
manque() { ! dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in postgresql libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 chromium poppler-utils fonts-dejavu-core; do
  manque "$p" && paquets+=("$p")
done
[ ${#paquets[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Paquets système manquants : ${paquets[*]} — installez-les (voir README, « Installation sur un autre système »)." >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installation des paquets système : ${paquets[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${paquets[@]}" >/dev/null
