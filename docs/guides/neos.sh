#!/usr/bin/env bash
# Neos's OAuth (seed 002), against a Gatehouse organization: a registered client asks for the
# profile and email scopes, and openid (which Gatehouse's profile endpoint needs, unlike Neos's),
# the user consents, and the profile endpoint answers a Bearer token.
# Needs: ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI USERNAME PASSWORD (see neos.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${ISSUER:?}" "${CLIENT_ID:?}" "${CLIENT_SECRET:?}" "${REDIRECT_URI:?}" "${USERNAME:?}" "${PASSWORD:?}"
export COOKIE_JAR=$(mktemp); trap 'rm -f "$COOKIE_JAR"' EXIT

# The endpoints come from discovery (Neos's "Quick Steps").
DISCOVERY=$(curl -sS "$ISSUER/.well-known/openid-configuration")
AUTHORIZE=$(jq -r .authorization_endpoint <<<"$DISCOVERY")
TOKEN_ENDPOINT=$(jq -r .token_endpoint <<<"$DISCOVERY")
echo "authorize: $AUTHORIZE  token: $TOKEN_ENDPOINT"

# PKCE, as every client should (RFC 9700).
VERIFIER=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
STATE=$(head -c 12 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')

URL="$AUTHORIZE?response_type=code&client_id=$CLIENT_ID&redirect_uri=$(urlencode "$REDIRECT_URI")&scope=$(urlencode 'openid profile email')&state=$STATE&code_challenge=$CHALLENGE&code_challenge_method=S256"
CALLBACK=$(browser_sign_in "$URL" "$USERNAME" "$PASSWORD" allow)
expect "state comes back" test "$(query_param state "$CALLBACK")" = "$STATE"

TOKEN=$(curl -sS -X POST "$TOKEN_ENDPOINT" -u "$CLIENT_ID:$CLIENT_SECRET" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$(query_param code "$CALLBACK")" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code_verifier=$VERIFIER")
ACCESS_TOKEN=$(jq -r .access_token <<<"$TOKEN")
expect "an access token for scope 'openid profile email'" test "$(jq -r .scope <<<"$TOKEN")" = 'openid profile email'

# The profile endpoint, with the token in the header: Authorization: Bearer [token]
PROFILE=$(curl -sS "$ISSUER/profile" -H "Authorization: Bearer $ACCESS_TOKEN")
echo "profile: $PROFILE"
expect "the profile has the username (profile scope)" test "$(jq -r .preferred_username <<<"$PROFILE")" = "$USERNAME"
expect "the profile has the email (email scope)" test "$(jq -r .email <<<"$PROFILE")" != null
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "$ISSUER/profile" -H 'Authorization: Bearer not-a-token')
expect "a bad token gets 401" test "$STATUS" = 401
echo "Neos flow complete"
