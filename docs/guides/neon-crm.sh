#!/usr/bin/env bash
# Neon CRM's constituent sign-in (seed 000), against a Gatehouse organization:
# login URL → code → token with account_id → logout with targetUrl.
# Needs: ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI USERNAME PASSWORD TARGET_URL (see neon-crm.md);
# STAFF_EMAIL and STAFF_PASSWORD (optional) for the staff-session step.
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
# Anyone can link to this URL, so with a live session Gatehouse first asks the constituent
# (a page with a "Sign out" button); the person presses it (here: the script posts that form).
LOGOUT_URL="$ISSUER/logout?targetUrl=$(urlencode "$TARGET_URL")"
PAGE=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" "$LOGOUT_URL")
expect "logout asks the constituent to confirm" grep -q 'name="confirm" value="yes"' <<<"$PAGE"
AFTER=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{redirect_url}' \
  --data-urlencode "targetUrl=$(field targetUrl <<<"$PAGE")" \
  --data-urlencode "csrf_token=$(field csrf_token <<<"$PAGE")" \
  --data-urlencode confirm=yes \
  "$ISSUER/logout")
expect "the confirmed logout redirects to targetUrl" test "$AFTER" = "$TARGET_URL"
NEXT=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{redirect_url}' "$LOGIN_URL")
expect "the session is over: the login URL asks to sign in again" grep -q '/login?interaction=' <<<"$NEXT"
# …and only there: any other address gets an error page, never a redirect.
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "$ISSUER/logout?targetUrl=$(urlencode https://evil.example/)")
expect "an unregistered targetUrl is refused" test "$STATUS" = 400

# 5. Without the question: the app passes the ID token of this sign-in as id_token_hint, which
# names the session, and the constituent goes straight on to targetUrl.
CALLBACK=$(browser_sign_in "$LOGIN_URL" "$USERNAME" "$PASSWORD")
TOKEN=$(curl -sS -X POST "$ISSUER/token" --data-urlencode "client_id=$CLIENT_ID" --data-urlencode "client_secret=$CLIENT_SECRET" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code=$(query_param code "$CALLBACK")" --data-urlencode "grant_type=authorization_code")
AFTER=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{redirect_url}' \
  "$LOGOUT_URL&id_token_hint=$(jq -r .id_token <<<"$TOKEN")")
expect "logout with the session's id_token_hint redirects to targetUrl at once" test "$AFTER" = "$TARGET_URL"

# 6. "Logged in as system user not supported" (optional: needs STAFF_EMAIL and STAFF_PASSWORD, a
# staff user of the organization with a password). Staff sign in at $ISSUER/console/login; that
# browser cannot start a constituent sign-in.
if [[ -n ${STAFF_EMAIL:-} ]]; then
  PAGE=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" "$ISSUER/console/login")
  SIGNED_IN=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{redirect_url}' \
    --data-urlencode "csrf_token=$(field csrf_token <<<"$PAGE")" \
    --data-urlencode "email=$STAFF_EMAIL" --data-urlencode "password=${STAFF_PASSWORD:?}" \
    "$ISSUER/console/login")
  expect "staff sign in at $ISSUER/console/login" test "$SIGNED_IN" = "$ISSUER/console/"
  PAGE=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -w '\n%{http_code}' "$LOGIN_URL")
  expect "a staff browser gets a page (403) instead of a constituent sign-in" test "$(tail -n 1 <<<"$PAGE")" = 403
  expect "the page offers to sign out of the staff session" grep -q 'Sign out of the staff session' <<<"$PAGE"
  SILENT=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{redirect_url}' "$LOGIN_URL&prompt=none")
  expect "a silent request (prompt=none) gets login_required" test "$(query_param error "$SILENT")" = login_required
fi
echo "Neon CRM flow complete: account $ACCOUNT_ID"
