import pytest


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    """Les comptes de test se créent par dizaines : MD5 plutôt que PBKDF2 (une demi-seconde par compte)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def zone_ue(monkeypatch):
    """L'option nommée « ue_eee_aele » de l'unité de mobilité (annexe III) : les tests écrits pour cette lecture."""
    from pfmp import regles_pfmp

    monkeypatch.setattr(regles_pfmp, "ZONE_MOBILITE", "ue_eee_aele")
