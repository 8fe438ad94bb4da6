"""Single sign-on with OpenID Connect: the authorization-code flow with PKCE, state and nonce.

authlib builds the authorization request and redeems the code at the provider's token endpoint
(over httpx2, the HTTP client authlib's integration is written for); joserfc, authlib's JOSE
library, checks the ID token's signature against the keys the provider publishes, and authlib's
``CodeIDToken`` its claims: issuer, audience (and ``azp``), expiry, issue time, nonce and
``at_hash``. The provider's discovery document and keys are read at each sign-in, so a key
rotation needs no restart.

A verified identity is matched to an EXISTING account by its e-mail address, and only when the
provider says the address is verified: nobody is created, and the roles stay printreg's. Failed
flows (a wrong or missing state, a token that does not verify) are counted by the sign-in
throttle for the client address, as failed passwords are.

Nothing here logs or shows a token, a code or an e-mail address: refusals carry fixed messages,
and the log names only the kind of failure (docs/security.md, "Single sign-on").
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.accounts.models import User
from printreg.accounts.service import LoginFailed, has_second_factor
from printreg.accounts.signin_throttle import SignInThrottle
from printreg.audit import audit
from printreg.domain.errors import RegistryError
from printreg.platform import Platform
from printreg.settings import Settings

if TYPE_CHECKING:  # loaded with the first sign-in: every web process imports this module
    from authlib.integrations.httpx_client import OAuth2Client
    from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

CALLBACK_PATH = "/login/sso/callback"
#: seconds to wait for the provider (discovery, keys, token endpoint, userinfo)
PROVIDER_TIMEOUT = 10.0
#: seconds of clock difference tolerated on the ID token's exp and iat
LEEWAY_SECONDS = 60
#: ID token signatures accepted: the provider's public keys only, never a shared secret or none
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
#: the throttle's "account" for failed flows, whose person is not known (no e-mail has an \0)
_FLOW = "\0single sign-on"

AGAIN = "the single sign-on took too long or was not started here: sign in again"
NOT_VERIFIED = (
    "your identity provider's answer could not be verified, so you are not signed in: sign in "
    "again, and tell your administrator if it happens again"
)
REFUSED = "your identity provider did not sign you in: sign in again"
UNVERIFIED_EMAIL = (
    "your identity provider has not verified your e-mail address: printreg signs people in by "
    "a verified address only"
)
NO_ACCOUNT = (
    "no active printreg account has the e-mail address your identity provider gave: ask your "
    "facility administrator to add you"
)
UNAVAILABLE = "the identity provider cannot be reached now: try again in a few minutes"


class SsoFailed(LoginFailed):
    """A single sign-on that must not sign anyone in; the message is fixed text."""


class SsoUnavailable(RegistryError):  # noqa: N818 - reads as the condition it names
    """The provider could not be reached, or answered with something unusable."""


@dataclass(frozen=True)
class Flow:
    """The secrets of one sign-in, kept by the browser in a signed cookie until the callback."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> Flow:
        """Return fresh random state, nonce and PKCE code verifier (64 characters)."""
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48))


@dataclass(frozen=True)
class Identity:
    """What a verified ID token (or the provider's userinfo) says about the person."""

    subject: str
    email: str | None
    email_verified: bool


class OpenIdProvider:
    """The configured provider, spoken to through authlib with the settings' client."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.issuer = settings.oidc_issuer.rstrip("/")

    @property
    def redirect_uri(self) -> str:
        """Return the callback address registered at the provider."""
        return self.settings.public_url.rstrip("/") + CALLBACK_PATH

    def _client(self) -> OAuth2Client:
        from authlib.integrations.httpx_client import OAuth2Client

        return OAuth2Client(
            client_id=self.settings.oidc_client_id,
            client_secret=self.settings.oidc_client_secret,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method's name
            scope=self.settings.oidc_scopes,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=PROVIDER_TIMEOUT,
        )

    @staticmethod
    def _json(client: OAuth2Client, url: str, **kwargs: Any) -> dict[str, Any]:
        """Return the JSON object at ``url``; SsoUnavailable when it cannot be had."""
        import httpx2

        try:
            response = client.request("GET", url, **kwargs)
            response.raise_for_status()
            found = response.json()
        except (httpx2.HTTPError, ValueError) as exc:
            log.warning("single sign-on: the provider did not answer (%s)", type(exc).__name__)
            raise SsoUnavailable(UNAVAILABLE) from exc
        if not isinstance(found, dict):
            raise SsoUnavailable(UNAVAILABLE)
        return found

    def _metadata(self, client: OAuth2Client) -> dict[str, Any]:
        """Return the provider's discovery document, whose issuer must be the configured one."""
        found = self._json(
            client, f"{self.issuer}/.well-known/openid-configuration", withhold_token=True
        )
        wanted = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        if found.get("issuer", "").rstrip("/") != self.issuer or not all(
            isinstance(found.get(k), str) for k in wanted
        ):
            log.warning("single sign-on: the discovery document does not fit the issuer")
            raise SsoUnavailable(UNAVAILABLE)
        return found

    def authorization_url(self, flow: Flow) -> str:
        """Return the provider's address that starts a sign-in of this flow (code, PKCE S256)."""
        with self._client() as client:
            metadata = self._metadata(client)
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=flow.state,
                code_verifier=flow.verifier,
                nonce=flow.nonce,
            )
        return str(url)

    def identity(self, flow: Flow, code: str) -> Identity:
        """Redeem the code and return the person the verified ID token names; SsoFailed when
        the provider refuses the code or its ID token does not verify."""
        import httpx2
        from authlib.integrations.base_client import OAuthError

        with self._client() as client:
            metadata = self._metadata(client)
            try:
                token = client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=flow.verifier,
                )
            except OAuthError as exc:  # e.g. invalid_grant: a code used twice, or forged
                log.warning("single sign-on refused by the token endpoint (%s)", exc.error)
                raise SsoFailed(REFUSED) from exc
            except (httpx2.HTTPError, ValueError) as exc:
                log.warning("single sign-on: the token endpoint failed (%s)", type(exc).__name__)
                raise SsoUnavailable(UNAVAILABLE) from exc
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                log.warning("single sign-on refused: the token response holds no ID token")
                raise SsoFailed(NOT_VERIFIED)
            claims = self._verified(client, metadata, id_token, flow.nonce, token)
            if "email" not in claims and isinstance(metadata.get("userinfo_endpoint"), str):
                claims = self._userinfo(client, metadata["userinfo_endpoint"], claims)
        verified = claims.get("email_verified")
        email = claims.get("email")
        return Identity(
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            email_verified=verified is True or verified == "true",
        )

    def _verified(
        self,
        client: OAuth2Client,
        metadata: Mapping[str, Any],
        id_token: str,
        nonce: str,
        token: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Return the claims of an ID token whose signature and claims verify; SsoFailed
        otherwise (the log names the kind of failure and the claim, never a value)."""
        from authlib.oidc.core import CodeIDToken
        from joserfc import jwt
        from joserfc.errors import ClaimError, InvalidKeyIdError, JoseError

        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = sorted(a for a in offered if a in ASYMMETRIC)
        try:
            try:
                decoded = jwt.decode(id_token, self._keys(client, metadata), algorithms)
            except InvalidKeyIdError:  # a key the provider added since: read the keys again
                decoded = jwt.decode(id_token, self._keys(client, metadata), algorithms)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "value": metadata["issuer"]},
                    "aud": {"essential": True, "value": self.settings.oidc_client_id},
                },
                {
                    "nonce": nonce,
                    "client_id": self.settings.oidc_client_id,
                    "access_token": token.get("access_token"),
                },
            )
            claims.validate(leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError) as exc:
            what = exc.error if isinstance(exc, JoseError) else "malformed"
            claim = f" {exc.claim}" if isinstance(exc, ClaimError) else ""
            log.warning("single sign-on refused: the ID token failed %s%s", what, claim)
            raise SsoFailed(NOT_VERIFIED) from exc
        return dict(claims)

    def _keys(self, client: OAuth2Client, metadata: Mapping[str, Any]) -> KeySet:
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        found = self._json(client, metadata["jwks_uri"], withhold_token=True)
        try:
            return KeySet.import_key_set(found)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            log.warning("single sign-on: the provider's keys cannot be read")
            raise SsoUnavailable(UNAVAILABLE) from exc

    def _userinfo(self, client: OAuth2Client, url: str, claims: dict[str, Any]) -> dict[str, Any]:
        """Return the ID token's claims with the userinfo's e-mail claims, when the userinfo
        is about the same subject (OpenID Connect Core 5.3.4); the claims unchanged otherwise."""
        info = self._json(client, url)
        if info.get("sub") != claims.get("sub"):
            log.warning("single sign-on: the userinfo names another subject; ignored")
            return claims
        return {**claims, **{k: info[k] for k in ("email", "email_verified") if k in info}}


class SingleSignOn:
    """Starts and finishes a sign-in at the configured provider and finds the person's account."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.provider = OpenIdProvider(platform.settings)
        self.throttle = SignInThrottle(platform.settings)

    def start(self) -> tuple[Flow, str]:
        """Return a new flow and the provider's address that starts it; SsoUnavailable when
        the provider cannot be reached."""
        flow = Flow.new()
        return flow, self.provider.authorization_url(flow)

    def finish(self, flow: Flow | None, answer: Mapping[str, str], address: str) -> int:
        """Return the id of the active account of the person the provider signed in.

        ``flow`` is what the browser kept (None when missing, expired or forged) and ``answer``
        the callback's query. SignInThrottled while the address must wait; SsoFailed for a
        wrong or missing state, a provider's error, a code or ID token that does not verify
        (these count as failed sign-ins of the address), an unverified e-mail address or no
        active account with it (these do not: the provider vouched for the person).
        """
        now = self.platform.clock()
        keys = self.throttle.keys(_FLOW, address)
        with self.platform.sessions() as session:
            self.throttle.check(session, keys, now)
        state = answer.get("state", "")
        if flow is None or not hmac.compare_digest(state.encode(), flow.state.encode()):
            log.warning("single sign-on refused: the state is missing or does not match")
            self._failed(address)
            raise SsoFailed(AGAIN)
        if "error" in answer:
            log.info("single sign-on: the provider answered an error")
            raise SsoFailed(REFUSED)
        issuer = answer.get("iss")
        code = answer.get("code", "")
        if (issuer is not None and issuer.rstrip("/") != self.provider.issuer) or not code:
            log.warning("single sign-on refused: no code, or the answer names another issuer")
            self._failed(address)
            raise SsoFailed(REFUSED)
        try:
            identity = self.provider.identity(flow, code)
        except SsoFailed:
            self._failed(address)
            raise
        return self._account(identity, address)

    def _failed(self, address: str) -> None:
        """Count a failed flow against the client address."""
        keys = self.throttle.keys(_FLOW, address)
        with self.platform.sessions() as session, session.begin():
            self.throttle.failed(session, keys, self.platform.clock())

    def _account(self, identity: Identity, address: str) -> int:
        """Return the id of the active account with the identity's verified e-mail address."""
        if not identity.email_verified or not identity.email:
            log.warning("single sign-on refused: the e-mail address is missing or unverified")
            raise SsoFailed(UNVERIFIED_EMAIL)
        email = identity.email.strip().lower()
        with self.platform.sessions() as session, session.begin():
            user = session.scalar(select(User).where(User.email == email))
            if user is None or not user.active:
                log.warning("single sign-on refused: no active account has the e-mail address")
                refused = True
            else:
                refused = False
                # The pair's password failures are cleared as after a password sign-in; with
                # a second factor only once the code is right (complete_sign_in).
                if not has_second_factor(session, user.id):
                    self.throttle.succeeded(session, self.throttle.keys(email, address))
                audit(session, Actor(name=f"login:{user.email}"), "login_sso", "user",
                      str(user.id), after={"issuer": self.provider.issuer})  # fmt: skip
                user_id = user.id
        if refused:
            raise SsoFailed(NO_ACCOUNT)
        return user_id
