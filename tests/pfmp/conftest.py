import pytest


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    """Les comptes de test se créent par dizaines : MD5 plutôt que PBKDF2 (une demi-seconde par compte)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
