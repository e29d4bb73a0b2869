#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Create the attestation service's Secrets when they are absent (never replaces one):
#   teectl-attestation-keys  signing.pem (EC P-256 private key, PKCS#8 PEM) and
#                            nonce.key (32 random bytes; one key for every replica)
#   teectl-attestation-tls   tls.crt / tls.key for attestation.teectl-system.svc, signed
#                            by a CA made here; the CA certificate goes to the ConfigMap
#                            teectl-attestation-ca (ca.crt) for clients (teectl attest,
#                            relying parties). Skip with TLS=none when cert-manager or
#                            your own CA makes teectl-attestation-tls.
# Needs kubectl (with access to the cluster) and openssl. Keys are made in a private
# temporary folder that is removed on exit; nothing is written elsewhere.
#   usage: deploy/kubernetes/make-secrets.sh        (NAMESPACE=teectl-system by default)
set -eu
NS=${NAMESPACE:-teectl-system}
TLS=${TLS:-self-signed}
SVC=attestation

command -v kubectl >/dev/null || { echo "make-secrets: kubectl not found" >&2; exit 2; }
command -v openssl >/dev/null || { echo "make-secrets: openssl not found" >&2; exit 2; }

kubectl get --raw /version >/dev/null 2>&1 || {
  echo "make-secrets: kubectl cannot reach a cluster (current context: $(kubectl config current-context 2>/dev/null || echo none)); nothing created" >&2
  exit 2
}

umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

exists() { kubectl -n "$NS" get "$1" "$2" >/dev/null 2>&1; }

kubectl get namespace "$NS" >/dev/null 2>&1 || kubectl create namespace "$NS"

if exists secret teectl-attestation-keys; then
  echo "make-secrets: secret/teectl-attestation-keys exists, kept"
else
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/signing.pem"
  openssl rand -out "$tmp/nonce.key" 32
  kubectl -n "$NS" create secret generic teectl-attestation-keys \
    --from-file=signing.pem="$tmp/signing.pem" --from-file=nonce.key="$tmp/nonce.key"
fi

if [ "$TLS" = none ]; then
  echo "make-secrets: TLS=none: secret/teectl-attestation-tls and configmap/teectl-attestation-ca (ca.crt: its CA, for clients) are yours to create"
elif exists secret teectl-attestation-tls; then
  echo "make-secrets: secret/teectl-attestation-tls exists, kept"
else
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=teectl attestation CA" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$SVC.$NS.svc" -keyout "$tmp/tls.key" -out "$tmp/tls.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:$SVC,DNS:$SVC.$NS,DNS:$SVC.$NS.svc,DNS:$SVC.$NS.svc.cluster.local" \
    >"$tmp/ext.cnf"
  openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
    -CAcreateserial -days 825 -extfile "$tmp/ext.cnf" -out "$tmp/tls.crt"
  kubectl -n "$NS" create secret tls teectl-attestation-tls \
    --cert="$tmp/tls.crt" --key="$tmp/tls.key"
  kubectl -n "$NS" create configmap teectl-attestation-ca --from-file=ca.crt="$tmp/ca.crt" \
    --dry-run=client -o yaml | kubectl apply -f -
fi
echo "make-secrets: done (namespace $NS)"
