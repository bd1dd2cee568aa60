"""Private keys at rest: MultiFernet, newest key first, so keys can be rotated."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyringError(ValueError):
    """The configured encryption keys are missing or malformed (never shows the keys)."""


class Keyring:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise KeyringError("CWSYNC_ENCRYPTION_KEYS holds no key")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError) as exc:
            raise KeyringError(
                "CWSYNC_ENCRYPTION_KEYS must be comma-separated Fernet keys "
                "(generate one with: cwsync generate-key)"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise KeyringError(
                "stored secret cannot be decrypted with the configured keys"
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt under the newest key (old keys may then be retired)."""
        return self._fernet.rotate(token.encode()).decode()

    def __repr__(self) -> str:
        return "Keyring(<redacted>)"


def generate_key() -> str:
    return Fernet.generate_key().decode()
