#!/usr/bin/env bash
# Jadu Connect's authorization code flow (seed 003), against a Gatehouse organization:
# state, consent per client, a 30-second single-use code, the token request as `curl -F`,
# expires_in and refresh_token in the response, and errors redirected to the app.
# Needs: ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI USERNAME PASSWORD (see jadu-connect.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${ISSUER:?}" "${CLIENT_ID:?}" "${CLIENT_SECRET:?}" "${REDIRECT_URI:?}" "${USERNAME:?}" "${PASSWORD:?}"
export COOKIE_JAR=$(mktemp); trap 'rm -f "$COOKIE_JAR"' EXIT
STATE=ABCDEF

AUTH_URL="$ISSUER/authorize?client_id=$CLIENT_ID&response_type=code&redirect_uri=$(urlencode "$REDIRECT_URI")&state=$STATE"

# A user who denies access comes back with the error (and the state).
DENIED=$(browser_sign_in "$AUTH_URL" "$USERNAME" "$PASSWORD" deny)
expect "denying consent redirects with error=access_denied" test "$(query_param error "$DENIED")" = access_denied
expect "the error carries the state" test "$(query_param state "$DENIED")" = "$STATE"
echo "error description: $(query_param error_description "$DENIED")"

# Accepting returns the code and state in the query string.
CALLBACK=$(browser_sign_in "$AUTH_URL" "$USERNAME" "$PASSWORD" allow)
CODE=$(query_param code "$CALLBACK")
expect "the code comes back with our state" test "$(query_param state "$CALLBACK")" = "$STATE"

# Use the code to request an access token, exactly as Jadu documents it (multipart/form-data).
TOKEN=$(curl -sS -X POST "$ISSUER/token" \
  -F "client_id=$CLIENT_ID" \
  -F "client_secret=$CLIENT_SECRET" \
  -F grant_type=authorization_code \
  -F "code=$CODE" \
  -F "redirect_uri=$REDIRECT_URI")
echo "token response: $TOKEN"
expect "expires_in is 3600" test "$(jq -r .expires_in <<<"$TOKEN")" = 3600
expect "token_type is Bearer" test "$(jq -r .token_type <<<"$TOKEN")" = Bearer
expect "a refresh token is issued" test "$(jq -r .refresh_token <<<"$TOKEN")" != null

# The refresh token gets a new pair (and is itself used up).
REFRESHED=$(curl -sS -X POST "$ISSUER/token" -F "client_id=$CLIENT_ID" -F "client_secret=$CLIENT_SECRET" \
  -F grant_type=refresh_token -F "refresh_token=$(jq -r .refresh_token <<<"$TOKEN")")
expect "refreshing returns a new access token" test "$(jq -r .access_token <<<"$REFRESHED")" != null
# "A code can be used only once."
AGAIN=$(curl -sS -X POST "$ISSUER/token" -F "client_id=$CLIENT_ID" -F "client_secret=$CLIENT_SECRET" \
  -F grant_type=authorization_code -F "code=$CODE" -F "redirect_uri=$REDIRECT_URI")
expect "the code is single use" test "$(jq -r .error <<<"$AGAIN")" = invalid_grant

# Presenting a used code again also revokes what it issued (RFC 6749 §4.1.2): the tokens are dead now.
DEAD=$(curl -sS -X POST "$ISSUER/token" -F "client_id=$CLIENT_ID" -F "client_secret=$CLIENT_SECRET" \
  -F grant_type=refresh_token -F "refresh_token=$(jq -r .refresh_token <<<"$REFRESHED")")
expect "the replay revoked the tokens issued from the code" test "$(jq -r .error <<<"$DEAD")" = invalid_grant
echo "Jadu Connect flow complete"
