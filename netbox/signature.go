package netbox

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// SignatureHeader is the header NetBox puts the body's HMAC in.
const SignatureHeader = "X-Hook-Signature"

// Signature verification errors, for errors.Is. The receiver answers 401 or
// 403 to all of them and logs which one it was.
var (
	// ErrSignatureMissing means the request has no X-Hook-Signature: the
	// webhook in NetBox has no secret, or the request is not from NetBox.
	ErrSignatureMissing = errors.New("webhook signature header missing")
	// ErrSignatureMismatch means the signature does not match the body and
	// secret: a different secret, a modified body, or a forged request.
	ErrSignatureMismatch = errors.New("webhook signature mismatch")
	// ErrSignatureSecret means no secret is configured, so no signature can
	// be checked; webhooks must then be refused.
	ErrSignatureSecret = errors.New("webhook secret not configured")
)

// Sign returns NetBox's X-Hook-Signature for body: the lowercase hex
// HMAC-SHA512 of the exact body bytes keyed with the secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha512.New, secret)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks header (the X-Hook-Signature value) against body
// and secret in constant time. Verify the raw bytes before decoding them:
// any re-encoding changes the HMAC.
func VerifySignature(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return ErrSignatureSecret
	}
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrSignatureMissing
	}
	got, err := hex.DecodeString(header)
	if err != nil || len(got) != sha512.Size {
		return fmt.Errorf("%w: header is not a %d-character hex HMAC-SHA512", ErrSignatureMismatch, 2*sha512.Size)
	}
	mac := hmac.New(sha512.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrSignatureMismatch
	}
	return nil
}
