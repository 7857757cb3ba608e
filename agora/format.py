"""Mise en forme française des messages : le bon accord plutôt que « (s) ».

Outil de la couche du bas (aucune application importée).
"""

import re


def nom_utilisateur(user) -> str:
    """Le nom d'un compte tel qu'on l'imprime : « Claire Dubois », sinon l'identifiant ; "" sans compte."""
    return (user.get_full_name() or user.username) if user else ""


def pluriel(nombre: int, singulier: str, pluriel: str | None = None) -> str:
    """« 1 note », « 3 notes », « 0 note » (le zéro s'accorde au singulier en français), « 2 chevaux » avec
    `pluriel`. Pour un groupe de mots, chaque mot variable s'écrit dans `singulier`/`pluriel` : « note créée »."""
    if abs(nombre) >= 2:
        mots = pluriel or " ".join(m + "s" if not m.endswith(("s", "x")) else m for m in singulier.split(" "))
    else:
        mots = singulier
    return f"{nombre} {mots}"


# Les intitulés de l'arrêté écrivent les capitales sans accent (« Economie-droit », « Epreuve ») : à l'écran et dans
# les documents, la typographie française les accentue. Les données restent celles du texte, mot pour mot.
_CAPITALES = {
    "Economie": "Économie",
    "Epreuve": "Épreuve",
    "Etude": "Étude",
    "Education": "Éducation",
    "Ecrit": "Écrit",
}


def capitales_accentuees(texte: str) -> str:
    """« Economie-droit » → « Économie-droit », « Epreuve de français » → « Épreuve de français »."""
    for sans, avec in _CAPITALES.items():
        if sans in texte:
            texte = re.sub(rf"\b{sans}", avec, texte)
    return texte
