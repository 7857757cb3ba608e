import pytest


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    """Des comptes créés en millisecondes : PBKDF2 coûte ~0,5 s par mot de passe, sans intérêt ici."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
