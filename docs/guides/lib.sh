# Shared by the guide scripts: the "browser" half of a sign-in, done with curl.
# A real user does this part in a browser; the scripts do it so the guides can run unattended.

# urlencode VALUE
urlencode() { jq -rn --arg v "$1" '$v|@uri'; }

# field NAME (reads an HTML page on stdin): the value of the hidden input NAME
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" | head -n 1; }

# query_param NAME URL: the decoded value of a query parameter of URL
query_param() { local v; v=$(sed -n "s/.*[?&]$1=\([^&#]*\).*/\1/p" <<<"$2"); v=${v//+/ }; printf '%b' "${v//%/\\x}"; }

# browser_sign_in AUTHORIZATION_URL USERNAME PASSWORD [CONSENT]
# Follows the authorization URL, fills in the sign-in form, answers the consent page with
# CONSENT (allow or deny, default allow) when one appears, and prints the URL the browser is
# finally sent to: the app's redirect URI with `code` (or `error`), `state` and `iss`.
browser_sign_in() {
  local url=$1 username=$2 password=$3 consent=${4:-allow} jar page location
  jar=${COOKIE_JAR:?set COOKIE_JAR to a cookie file}
  location=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' "$url")
  page=$(curl -sS -b "$jar" -c "$jar" "$location")
  if grep -q 'autocomplete="current-password"' <<<"$page"; then
    location=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' \
      --data-urlencode "interaction=$(field interaction <<<"$page")" \
      --data-urlencode "csrf_token=$(field csrf_token <<<"$page")" \
      --data-urlencode "username=$username" --data-urlencode "password=$password" \
      "${url%%/authorize*}/login")
  fi
  if [[ $location == */consent\?* ]]; then
    page=$(curl -sS -b "$jar" -c "$jar" "$location")
    location=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' \
      --data-urlencode "interaction=$(field interaction <<<"$page")" \
      --data-urlencode "csrf_token=$(field csrf_token <<<"$page")" \
      --data-urlencode "decision=$consent" \
      "${url%%/authorize*}/consent")
  fi
  echo "$location"
}

# expect DESCRIPTION CONDITION...: stop the guide with a message when a step did not do what the guide says
expect() { local what=$1; shift; if ! "$@"; then echo "FAILED: $what" >&2; exit 1; fi; echo "ok: $what"; }
