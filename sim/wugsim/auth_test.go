package wugsim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestTokenF1FormBodyWithJSONContentType(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Users: map[string]string{"admin": "p@ssw0rd"}, Faults: nil})
	// WhatsUpGoldPS sends the form body of F1 labelled application/json; the server reads it.
	res := b.form(t, fixture(t, "f01_token_request.txt"), "application/json")
	require.Equal(t, http.StatusOK, res.status)
	tok := res.json(t) // the shape of F2
	require.Equal(t, "bearer", tok["token_type"])
	require.EqualValues(t, 86399, tok["expires_in"])
	require.NotEmpty(t, tok["access_token"])
	require.NotEmpty(t, tok["refresh_token"])
	require.Len(t, tok, 4)
}

func TestTokenF3BadCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	res := b.form(t, "grant_type=password&username=admin&password=nope", "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusBadRequest, res.status)
	require.JSONEq(t, fixture(t, "f03_token_failure.json"), string(res.body))

	res = b.form(t, "username=admin&password=admin", "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusBadRequest, res.status)
	require.Equal(t, "unsupported_grant_type", res.json(t)["error"])
}

func TestTokenF4RefreshRotatesTheRefreshToken(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	first := b.form(t, "grant_type=password&username=admin&password=admin", "application/json").json(t)
	refresh := first["refresh_token"].(string)
	f4 := strings.Replace(fixture(t, "f04_refresh_request.txt"), "REFRESH", refresh, 1)

	second := b.form(t, f4, "application/json")
	require.Equal(t, http.StatusOK, second.status)
	require.NotEqual(t, refresh, second.json(t)["refresh_token"], "a new refresh token every time")

	again := b.form(t, f4, "application/json")
	require.Equal(t, http.StatusBadRequest, again.status, "a used refresh token is spent")
	require.Equal(t, "invalid_grant", again.json(t)["error"])
	require.Equal(t, map[string]int{"password": 2, "refresh_token": 1}, b.sim.TokenGrants())
}

func TestBearerTokenIsRequired(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{TokenLifetime: time.Hour})
	path := "/api/v1/product/version"
	cases := map[string]http.Header{
		"no header":      {},
		"wrong scheme":   {"Authorization": {"Basic " + b.token}},
		"unknown token":  {"Authorization": {"Bearer nope"}},
		"scheme, no tok": {"Authorization": {"Bearer"}},
	}
	for name, h := range cases {
		res := b.send(t, http.MethodGet, path, "", h)
		require.Equal(t, http.StatusUnauthorized, res.status, name)
		var body struct {
			Error struct {
				Status  int    `json:"status"`
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(res.body, &body), name)
		require.Equal(t, 401, body.Error.Status, name)
		require.Equal(t, "Unauthorized", body.Error.Code, name)
	}
	// WhatsUpGoldPS sends "bearer <token>" (the token_type as returned).
	require.Equal(t, http.StatusOK, b.send(t, http.MethodGet, path, "", http.Header{"Authorization": {"bearer " + b.token}}).status)

	b.clock.Advance(time.Hour)
	require.Equal(t, http.StatusUnauthorized, b.call(t, http.MethodGet, path, "").status, "expired after expires_in")
}

func TestExpireTokensKeepsRefreshTokensValid(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	tok := b.form(t, "grant_type=password&username=admin&password=admin", "application/json").json(t)
	b.sim.ExpireTokens()
	res := b.send(t, http.MethodGet, "/api/v1/product/version", "", http.Header{"Authorization": {"Bearer " + tok["access_token"].(string)}})
	require.Equal(t, http.StatusUnauthorized, res.status)
	refreshed := b.form(t, "grant_type=refresh_token&refresh_token="+tok["refresh_token"].(string), "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusOK, refreshed.status)
}
