#!/usr/bin/env bash
# Cyclr's "OAuth authentication" (seed 004), against a Gatehouse installation: a partner
# organization connects its customer's account to a provider, here a second organization of the
# same Gatehouse through the catalogue's `gatehouse` entry. The sign-in token (Bearer token from
# client_credentials), the connect URL, the provider's sign-in, the 303 to targetOrigin, the
# credentials the partner's backend reads, the callbackMessage page, and the AuthValue import.
# Needs: PUBLIC_URL (the server's, which the `gatehouse` command reads too) PARTNER_ORG PROVIDER_ORG (slugs of two new
# organizations) TARGET_ORIGIN (the partner's web origin) PASSWORD (of the provider's constituent),
# and the server's environment (DATA_DIR or DATABASE_URL) for the `gatehouse` command (GATEHOUSE,
# default `npx gatehouse`). A provider at http://localhost needs the server started with
# OUTBOUND_ALLOW_PRIVATE_NETWORK=true. USERNAME: the provider's constituent (default alice). See connectors.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${PUBLIC_URL:?}" "${PARTNER_ORG:?}" "${PROVIDER_ORG:?}" "${TARGET_ORIGIN:?}" "${PASSWORD:?}"
USERNAME=${USERNAME:-alice}
read -ra GATEHOUSE <<<"${GATEHOUSE:-npx gatehouse}"
export COOKIE_JAR=$(mktemp); trap 'rm -f "$COOKIE_JAR"' EXIT
PARTNER="$PUBLIC_URL/o/$PARTNER_ORG"
PROVIDER="$PUBLIC_URL/o/$PROVIDER_ORG"
CALLBACK="$PARTNER/connectorauth/callback"

# --- The provider's side (connectors.md, "The provider"): an organization with a constituent, and
# the partner's OAuth client there. Its redirect URIs: the hub's callback, and the partner's own
# web app (which signs the customer in itself in the AuthValue step). Refresh tokens come with the
# client's default grants (authorization_code refresh_token); the gatehouse entry asks for
# `openid offline_access`, so the client must be allowed offline_access.
"${GATEHOUSE[@]}" org create "$PROVIDER_ORG" --name "Example Identity" --json >/dev/null
"${GATEHOUSE[@]}" constituent create --org "$PROVIDER_ORG" --username "$USERNAME" --password "$PASSWORD" --email "$USERNAME@example.org" --json >/dev/null
APP=$("${GATEHOUSE[@]}" client create --org "$PROVIDER_ORG" --name "Partner connector hub" \
  --redirect-uri "$CALLBACK" --redirect-uri "$TARGET_ORIGIN/oauth/callback" --scope "openid profile email offline_access" --json)
APP_CLIENT_ID=$(jq -r .client_id <<<"$APP")
APP_CLIENT_SECRET=$(jq -r .client_secret <<<"$APP")

# --- The partner's side (connectors.md, "Setup"): the organization, a staff API key for the
# management API, and the client its backend asks for sign-in tokens with.
"${GATEHOUSE[@]}" org create "$PARTNER_ORG" --name "Example Partner" --json >/dev/null
API_KEY=$("${GATEHOUSE[@]}" staff create --org "$PARTNER_ORG" --email "ops@$PARTNER_ORG.example" --role owner --api-key --json | jq -r .api_key)
BACKEND=$("${GATEHOUSE[@]}" client create --org "$PARTNER_ORG" --name "Partner backend" --grant client_credentials --scope connectors --json)
BACKEND_ID=$(jq -r .client_id <<<"$BACKEND")
BACKEND_SECRET=$(jq -r .client_secret <<<"$BACKEND")
api() { curl -sS -u "$PARTNER_ORG:$API_KEY" -H 'Content-Type: application/json' "$@"; }

api -X PATCH "$PUBLIC_URL/api/v2/org" -d "$(jq -n --arg o "$TARGET_ORIGIN" '{connect_target_origins: [$o]}')" >/dev/null
APP_CONNECTOR=$(api -X POST "$PUBLIC_URL/api/v2/app-connectors" -d "$(jq -n --arg id "$APP_CLIENT_ID" --arg secret "$APP_CLIENT_SECRET" \
  --arg url "$PUBLIC_URL" --arg org "$PROVIDER_ORG" \
  '{provider: "gatehouse", name: "Example Identity", client_id: $id, client_secret: $secret, config: {gatehouse_url: $url, org: $org}}')")
APP_CONNECTOR_ID=$(jq -r .id <<<"$APP_CONNECTOR")
expect "the app connector names the redirect URI registered at the provider" test "$(jq -r .redirect_uri <<<"$APP_CONNECTOR")" = "$CALLBACK"
api -X POST "$PUBLIC_URL/api/v2/accounts" -d '{"id": "cust-42", "name": "Customer 42"}' >/dev/null
CONNECTOR=$(api -X POST "$PUBLIC_URL/api/v2/accounts/cust-42/connectors" -d "$(jq -n --arg app "$APP_CONNECTOR_ID" '{app_connector_id: $app}')")
echo "account connector: $CONNECTOR"
CONNECTOR_ID=$(jq -r .id <<<"$CONNECTOR")
expect "the account connector starts unauthenticated" test "$(jq -r .status <<<"$CONNECTOR")" = unauthenticated

# --- Step 1: the Account Sign-in Token, with the backend's own access token (client_credentials).
ACCESS_TOKEN=$(curl -sS -u "$BACKEND_ID:$BACKEND_SECRET" -d grant_type=client_credentials -d scope=connectors "$PARTNER/token" | jq -r .access_token)
sign_in_token() {
  curl -sS -X POST "$PARTNER/v1.0/accounts/cust-42/signintoken" \
    -H "Authorization: Bearer $ACCESS_TOKEN" -H 'Content-Type: application/json' \
    -d '{"Username": "example_user"}'
}
ISSUED=$(sign_in_token)
echo "sign-in token response: $(jq -c '.Token = "…"' <<<"$ISSUED")"
TOKEN=$(jq -r .Token <<<"$ISSUED")
expect "a sign-in token that expires in 5 minutes" test "$(jq -r '.ExpiresAtUtc | sub("\\.[0-9]+Z$"; "Z") | fromdate - now | . > 240 and . <= 300' <<<"$ISSUED")" = true

# --- Steps 2 and 3: the URL, opened in the customer's browser (here curl with a cookie jar).
URL="$PARTNER/connectorauth/updateaccountconnectoroauth?id=$CONNECTOR_ID&token=$(urlencode "$TOKEN")&targetOrigin=$(urlencode "$TARGET_ORIGIN/complete-page")"
echo "connect URL: ${URL/$(urlencode "$TOKEN")/…}"
AUTHORIZE=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{redirect_url}' "$URL")
expect "the browser is sent to the provider's authorization endpoint" grep -q "^$PROVIDER/authorize?" <<<"$AUTHORIZE"
expect "with PKCE" test "$(query_param code_challenge_method "$AUTHORIZE")" = S256
# The customer signs in at the provider and allows access; the provider sends the browser back to the hub.
BACK=$(browser_sign_in "$AUTHORIZE" "$USERNAME" "$PASSWORD" allow)
expect "the provider redirects to the hub's callback" grep -q "^$CALLBACK?" <<<"$BACK"
LANDED=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{http_code} %{redirect_url}' "$BACK")
expect "the hub ends with a 303 to targetOrigin" test "$LANDED" = "303 $TARGET_ORIGIN/complete-page"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "$URL")
expect "the sign-in token was single use (the same URL again: 403)" test "$STATUS" = 403
expect "the account connector is authenticated" test "$(api "$PUBLIC_URL/api/v2/account-connectors/$CONNECTOR_ID" | jq -r .status)" = authenticated

# The partner's backend reads fresh credentials and calls the provider's API with them.
CREDENTIALS=$(api "$PUBLIC_URL/api/v2/account-connectors/$CONNECTOR_ID/credentials")
echo "credentials: $(jq -c '.access_token = "…"' <<<"$CREDENTIALS")"
PROFILE=$(curl -sS "$PROVIDER/userinfo" -H "Authorization: Bearer $(jq -r .access_token <<<"$CREDENTIALS")")
expect "the access token works at the provider (userinfo: sub $(jq -r .sub <<<"$PROFILE"))" test "$(jq -r .sub <<<"$PROFILE")" != null

# --- The postMessage variant: callbackMessage, and targetOrigin an origin. The end is a page whose
# script posts the message to exactly that origin (connectors-partner-page.html listens for it).
TOKEN=$(sign_in_token | jq -r .Token)
URL="$PARTNER/connectorauth/updateaccountconnectoroauth?id=$CONNECTOR_ID&token=$(urlencode "$TOKEN")&targetOrigin=$(urlencode "$TARGET_ORIGIN")&callbackMessage=completed"
AUTHORIZE=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{redirect_url}' "$URL")
# Signed in at the provider already, and the access allowed before: straight back to the hub.
BACK=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -o /dev/null -w '%{redirect_url}' "$AUTHORIZE")
expect "a signed-in customer goes straight back to the hub" grep -q "^$CALLBACK?" <<<"$BACK"
HEADERS=$(mktemp); trap 'rm -f "$COOKIE_JAR" "$HEADERS"' EXIT
PAGE=$(curl -sS -b "$COOKIE_JAR" -c "$COOKIE_JAR" -D "$HEADERS" "$BACK")
expect "the result page carries the message" grep -q 'data-message="completed"' <<<"$PAGE"
expect "and exactly the partner's origin to post it to" grep -q "data-target-origin=\"$TARGET_ORIGIN\"" <<<"$PAGE"
expect "its script posts to that origin, never '*'" grep -q 'target.postMessage(message, data.targetOrigin)' <<<"$PAGE"
expect "only the partner may frame it" grep -qi "^content-security-policy:.*frame-ancestors $TARGET_ORIGIN" "$HEADERS"

# --- AuthValue: tokens the partner's own web app obtained (customer 43 signed in to it through
# the provider, in their own browser), imported onto that customer's connection as they are.
: >"$COOKIE_JAR"
api -X POST "$PUBLIC_URL/api/v2/accounts" -d '{"id": "cust-43", "name": "Customer 43"}' >/dev/null
IMPORTED_ID=$(api -X POST "$PUBLIC_URL/api/v2/accounts/cust-43/connectors" -d "$(jq -n --arg app "$APP_CONNECTOR_ID" '{app_connector_id: $app}')" | jq -r .id)
REDIRECT_URI="$TARGET_ORIGIN/oauth/callback"
CODE=$(query_param code "$(browser_sign_in "$PROVIDER/authorize?response_type=code&client_id=$APP_CLIENT_ID&redirect_uri=$(urlencode "$REDIRECT_URI")&scope=$(urlencode 'openid offline_access')" "$USERNAME" "$PASSWORD")")
TOKENS=$(curl -sS -u "$APP_CLIENT_ID:$APP_CLIENT_SECRET" -d grant_type=authorization_code --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT_URI" "$PROVIDER/token")
AUTH_VALUE=$(jq -c '{AccessToken: .access_token, RefreshToken: .refresh_token, Expires: (now + .expires_in | floor | todate), RefreshExpires: (now + 30 * 86400 | floor | todate)}' <<<"$TOKENS")
IMPORTED=$(api -X PATCH "$PUBLIC_URL/api/v2/account-connectors/$IMPORTED_ID" -d "$(jq -n --arg v "$AUTH_VALUE" '{auth_value: $v}')")
expect "the imported connector is authenticated" test "$(jq -r .status <<<"$IMPORTED")" = authenticated
HANDED_OUT=$(api "$PUBLIC_URL/api/v2/account-connectors/$IMPORTED_ID/credentials" | jq -r .access_token)
expect "its credentials are the imported access token" test "$HANDED_OUT" = "$(jq -r .access_token <<<"$TOKENS")"
BAD=$(api -X PATCH -w '\n%{http_code}' "$PUBLIC_URL/api/v2/account-connectors/$IMPORTED_ID" \
  -d '{"auth_value": "{\"AccessToken\":\"XXXXXXXXXX\",\"Expires\":\"tomorrow\"}"}')
echo "bad AuthValue: $(head -n 1 <<<"$BAD")"
expect "a bad AuthValue is a 400" test "$(tail -n 1 <<<"$BAD")" = 400
expect "naming the field (auth_value.Expires)" test "$(head -n 1 <<<"$BAD" | jq -r '[.error.fields[]?.field] | join(",")')" = auth_value.Expires
echo "Connector flow complete: account connector $CONNECTOR_ID authenticated"
