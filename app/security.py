"""Password hashing (argon2id, off the event loop) and token encoding."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import secrets
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from passlib.context import CryptContext

from app.domain.pages import MAX_ID
from app.errors import InvalidToken, TokenProblem

JWT_ALGORITHM = "HS256"

# OWASP's argon2id minimum: 19 MiB of memory, 2 passes, 1 lane.
password_context = CryptContext(
    schemes=["argon2"],
    argon2__type="ID",
    argon2__memory_cost=19 * 1024,
    argon2__time_cost=2,
    argon2__parallelism=1,
)


HASHING_NICENESS = 10


def hashing_threads(*, cores: int, workers: int) -> int:
    """Hashing threads per worker process: the machine's cores shared among the workers.

    That keeps the cores busy (argon2 releases the GIL); more threads than cores only add
    contention: measured here, 2 threads on 2 cores verify 95 passwords a second, 4 threads 82.
    """
    return max(1, cores // max(1, workers))


def _lower_thread_priority() -> None:
    """Hash at a lower priority, so that a burst of sign-ins queues behind the event loop
    instead of stalling every other request of the worker."""
    with contextlib.suppress(AttributeError, OSError):
        thread_id = threading.get_native_id()
        niceness = os.getpriority(os.PRIO_PROCESS, thread_id) + HASHING_NICENESS
        os.setpriority(os.PRIO_PROCESS, thread_id, min(niceness, 19))


def _utf8(text: str) -> bytes:
    """UTF-8 that keeps a lone surrogate as its three bytes instead of raising: no string makes
    hashing fail. Any valid text encodes exactly as plain UTF-8, so stored hashes still match."""
    return text.encode("utf-8", "surrogatepass")


class PasswordHasher:
    """argon2id in a pool of low-priority threads, so that other requests keep running."""

    def __init__(self, *, threads: int) -> None:
        self.threads = threads
        self._pool = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="argon2", initializer=_lower_thread_priority
        )

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, password_context.hash, _utf8(password)
        )

    async def verify(self, password: str, hashed: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, password_context.verify, _utf8(password), hashed
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    token_id: str
    expires_at: datetime


class TokenCodec:
    """Encodes and checks access JWTs: issuer, audience, expiry and id are always required."""

    def __init__(self, *, key: str, issuer: str, audience: str, ttl: int) -> None:
        self._key = key
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl

    def encode(self, user_id: int) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + timedelta(seconds=self.ttl),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=JWT_ALGORITHM)

    def decode(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[JWT_ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["sub", "iss", "aud", "exp", "iat", "jti"]},
            )
            subject = str(claims["sub"])
            # Only ids a row can have: a larger one fails the query on PostgreSQL's INTEGER.
            if not (subject.isascii() and subject.isdigit() and 1 <= int(subject) <= MAX_ID):
                raise InvalidToken
            return AccessClaims(
                user_id=int(subject),
                token_id=str(claims["jti"]),
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken(TokenProblem.EXPIRED) from exc
        # OverflowError or OSError (by platform): an `exp` past year 9999, or Infinity.
        except (jwt.PyJWTError, ValueError, TypeError, OverflowError, OSError) as exc:
            raise InvalidToken from exc


def new_refresh_token() -> str:
    """An opaque, URL-safe refresh token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """Refresh tokens are high-entropy, so a fast hash is enough to store them safely."""
    return hashlib.sha256(_utf8(token)).hexdigest()


class SecretBox:
    """Seals small secrets for storage: AES-256-GCM under a key derived from SECRET_KEY.

    The key is HKDF-SHA256 of the signing key with a purpose of its own, so that it is never
    the JWT key itself and each purpose gets a different key. What it protects against: a
    database dump or backup read without the application's SECRET_KEY yields no secret in
    clear, and a sealed value altered or moved to another purpose fails to open. What it does
    not: whoever has both the database and SECRET_KEY (the running service) can open them; and
    changing SECRET_KEY makes the sealed secrets unreadable (their endpoints must be created
    anew).
    """

    VERSION = "v1."
    NONCE_BYTES = 12

    def __init__(self, *, key: str, purpose: bytes) -> None:
        derived = HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(_utf8(key))
        self._aead = AESGCM(derived)
        self._purpose = purpose

    def seal(self, secret: str) -> str:
        """The secret encrypted, as printable text (a fresh nonce each time)."""
        nonce = os.urandom(self.NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, secret.encode(), self._purpose)
        return self.VERSION + base64.urlsafe_b64encode(sealed).decode("ascii")

    def open(self, sealed: str) -> str:
        """The secret that `seal` gave `sealed` for; raises ValueError if it was not ours."""
        if not sealed.startswith(self.VERSION):
            raise ValueError("not a sealed secret")
        try:
            raw = base64.urlsafe_b64decode(sealed.removeprefix(self.VERSION))
            nonce, ciphertext = raw[: self.NONCE_BYTES], raw[self.NONCE_BYTES :]
            return self._aead.decrypt(nonce, ciphertext, self._purpose).decode()
        except Exception as exc:  # InvalidTag, bad base64: one answer for all
            raise ValueError("the sealed secret cannot be opened with this key") from exc
