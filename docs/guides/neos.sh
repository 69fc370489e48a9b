#!/usr/bin/env bash
# Neos's OAuth (seed 002), against a Gatehouse organization: the organization defines a custom
# scope (patreon) and gives a constituent the attribute it releases; a registered client asks for
# openid (which Gatehouse's profile endpoint needs, unlike Neos's), profile, email and patreon; the
# user consents, and the profile endpoint answers a Bearer token with all of them.
# Needs: ISSUER ORG REDIRECT_URI PASSWORD, and the server's environment (DATA_DIR or DATABASE_URL)
# for the `gatehouse` command (GATEHOUSE, default `npx gatehouse`). USERNAME: the constituent it
# creates (default bob: pass another to run it again on the same organization). See neos.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${ISSUER:?}" "${ORG:?}" "${REDIRECT_URI:?}" "${PASSWORD:?}"
USERNAME=${USERNAME:-bob}
read -ra GATEHOUSE <<<"${GATEHOUSE:-npx gatehouse}"
export COOKIE_JAR=$(mktemp); trap 'rm -f "$COOKIE_JAR"' EXIT

# The organization's side (neos.md, "Scopes"): a custom scope, a constituent with an email and the
# attribute the scope releases, and a client that may ask for it.
"${GATEHOUSE[@]}" scope set --org "$ORG" --name patreon --description "Your Patreon membership" --attribute patreon_tier --json >/dev/null
"${GATEHOUSE[@]}" constituent create --org "$ORG" --username "$USERNAME" --password "$PASSWORD" \
  --email "$USERNAME@example.org" --attribute patreon_tier=gold --json >/dev/null
CLIENT=$("${GATEHOUSE[@]}" client create --org "$ORG" --name "Event app" --redirect-uri "$REDIRECT_URI" \
  --scope "openid profile email patreon" --json)
CLIENT_ID=$(jq -r .client_id <<<"$CLIENT")
CLIENT_SECRET=$(jq -r .client_secret <<<"$CLIENT")
expect "the client is registered" test -n "$CLIENT_ID"

# The endpoints come from discovery (Neos's "Quick Steps").
DISCOVERY=$(curl -sS "$ISSUER/.well-known/openid-configuration")
AUTHORIZE=$(jq -r .authorization_endpoint <<<"$DISCOVERY")
TOKEN_ENDPOINT=$(jq -r .token_endpoint <<<"$DISCOVERY")
echo "authorize: $AUTHORIZE  token: $TOKEN_ENDPOINT"

# PKCE, as every client should (RFC 9700).
VERIFIER=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
STATE=$(head -c 12 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')

SCOPE='openid profile email patreon'
URL="$AUTHORIZE?response_type=code&client_id=$CLIENT_ID&redirect_uri=$(urlencode "$REDIRECT_URI")&scope=$(urlencode "$SCOPE")&state=$STATE&code_challenge=$CHALLENGE&code_challenge_method=S256"
CALLBACK=$(browser_sign_in "$URL" "$USERNAME" "$PASSWORD" allow)
expect "state comes back" test "$(query_param state "$CALLBACK")" = "$STATE"

TOKEN=$(curl -sS -X POST "$TOKEN_ENDPOINT" -u "$CLIENT_ID:$CLIENT_SECRET" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$(query_param code "$CALLBACK")" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code_verifier=$VERIFIER")
ACCESS_TOKEN=$(jq -r .access_token <<<"$TOKEN")
expect "an access token for scope '$SCOPE'" test "$(jq -r .scope <<<"$TOKEN")" = "$SCOPE"

# The profile endpoint, with the token in the header: Authorization: Bearer [token]
PROFILE=$(curl -sS "$ISSUER/profile" -H "Authorization: Bearer $ACCESS_TOKEN")
echo "profile: $PROFILE"
expect "the profile has the username (profile scope)" test "$(jq -r .preferred_username <<<"$PROFILE")" = "$USERNAME"
expect "the profile has the email (email scope)" test "$(jq -r .email <<<"$PROFILE")" = "$USERNAME@example.org"
expect "the profile has the Patreon tier (patreon scope)" test "$(jq -r .patreon_tier <<<"$PROFILE")" = gold
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "$ISSUER/profile" -H 'Authorization: Bearer not-a-token')
expect "a bad token gets 401" test "$STATUS" = 401
echo "Neos flow complete"
