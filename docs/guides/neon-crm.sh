#!/usr/bin/env bash
# Neon CRM's constituent sign-in (seed 000), against a Gatehouse organization:
# login URL → code → token with account_id → logout with targetUrl.
# Needs: ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI USERNAME PASSWORD TARGET_URL (see neon-crm.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${ISSUER:?}" "${CLIENT_ID:?}" "${CLIENT_SECRET:?}" "${REDIRECT_URI:?}" "${USERNAME:?}" "${PASSWORD:?}" "${TARGET_URL:?}"
export COOKIE_JAR=$(mktemp); trap 'rm -f "$COOKIE_JAR"' EXIT

# 1. The login URL: Neon's /np/oauth/auth?response_type=code&client_id=…&redirect_uri=…
LOGIN_URL="$ISSUER/authorize?response_type=code&client_id=$CLIENT_ID&redirect_uri=$(urlencode "$REDIRECT_URI")"
echo "login URL: $LOGIN_URL"

# 2. The constituent signs in; the browser comes back to the redirect URI with ?code=…
CALLBACK=$(browser_sign_in "$LOGIN_URL" "$USERNAME" "$PASSWORD")
CODE=$(query_param code "$CALLBACK")
expect "redirected to the app with a code" test -n "$CODE"
expect "the response names its issuer (RFC 9207)" test "$(query_param iss "$CALLBACK")" = "$ISSUER"

# 3. Retrieve the access token: Neon's exact request, form-encoded, secret in the body.
TOKEN=$(curl -sS -X POST "$ISSUER/token" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-urlencode "client_id=$CLIENT_ID" \
  --data-urlencode "client_secret=$CLIENT_SECRET" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" \
  --data-urlencode "code=$CODE" \
  --data-urlencode "grant_type=authorization_code")
echo "token response: $TOKEN"
ACCOUNT_ID=$(jq -r .account_id <<<"$TOKEN")
expect "the token response carries the constituent's account ID" test "$ACCOUNT_ID" != null

# The code was single use: "Invalid Request: Authorization code invalid" in Neon's words.
AGAIN=$(curl -sS -X POST "$ISSUER/token" --data-urlencode "client_id=$CLIENT_ID" --data-urlencode "client_secret=$CLIENT_SECRET" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code=$CODE" --data-urlencode "grant_type=authorization_code")
expect "a second redemption is invalid_grant" test "$(jq -r .error <<<"$AGAIN")" = invalid_grant

# 4. Log out, going on to the app's targetUrl (a post-logout URI registered for the client).
AFTER=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{redirect_url}' "$ISSUER/logout?targetUrl=$(urlencode "$TARGET_URL")")
expect "logout redirects to targetUrl" test "$AFTER" = "$TARGET_URL"
# …and only there: any other address gets an error page, never a redirect.
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "$ISSUER/logout?targetUrl=$(urlencode https://evil.example/)")
expect "an unregistered targetUrl is refused" test "$STATUS" = 400
echo "Neon CRM flow complete: account $ACCOUNT_ID"
