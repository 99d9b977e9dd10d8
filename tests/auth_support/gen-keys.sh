#!/bin/sh
# Regenerates the RSA key pairs the auth tests sign tokens with (PKCS#8 private key, SPKI
# public key). They are test fixtures only: never use them for anything else.
# Keys are pre-generated rather than made at test time because ring cannot generate RSA keys
# and a pure-Rust generator is slow in debug builds.
set -eu
cd "$(dirname "$0")/keys"
for name in instance other rotated; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key.pem" 2>/dev/null
    openssl pkey -in "$name.key.pem" -pubout -out "$name.pub.pem"
done
