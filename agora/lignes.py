"""Des lignes de tableau HTML construites en Python, pour les boucles chaudes des pages (issue #23).

Le moteur de gabarits de Django coûte, par valeur affichée, une résolution de variable, un filtre et un
échappement ; par ligne, un `{% url %}`. Pour une page d'une cinquantaine de lignes, c'était près de la moitié de
son temps processeur. `ligne` remplit un modèle (str.format) en échappant chaque valeur comme `format_html` ;
`modele_adresse` résout une adresse une fois par processus, avec un trou pour la clé de chaque ligne.
"""

import functools
import html

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString

# Un entier qu'aucune clé ne prend : reverse() le place dans l'adresse, puis il devient le trou du modèle.
_TROU = 2147483647


def modele_adresse(nom: str, *args) -> str:
    """L'adresse de `nom` avec un `{}` à la place de l'argument None (la clé de la ligne) : reverse() une fois par
    processus (et par préfixe d'adresse, par table d'adresses), puis `str.format(pk)` par ligne, pk entier (le
    convertisseur <int:…> n'accepte que des chiffres)."""
    return _modele_adresse(nom, args, *_contexte_des_adresses())


def adresse(nom: str, *args) -> str:
    """reverse(nom, args=args), des dizaines de fois plus vite quand chaque argument est un entier positif (une
    clé, une année) : l'adresse est résolue une fois par processus avec des entiers repères, puis remplie par
    str.format. Le convertisseur <int:…> écrit un entier tel quel (str) ; le projet n'en déclare pas d'autre.
    Un reverse() coûte 30 à 40 µs ; une page en demandait jusqu'à une vingtaine. Tout autre argument : reverse()."""
    if all(type(a) is int and 0 <= a < _TROU - 64 for a in args) and len(args) < 64:
        return _modele_entier(nom, len(args), *_contexte_des_adresses()).format(*args)
    return reverse(nom, args=args)


def _contexte_des_adresses() -> tuple:
    # Ce dont reverse() dépend hors de ses arguments : le préfixe (SCRIPT_NAME) et la table d'adresses, celle du fil
    # (set_urlconf) ou celle des réglages (que les tests peuvent changer).
    return get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF


@functools.lru_cache(maxsize=512)
def _modele_adresse(nom: str, args: tuple, prefixe: str, table) -> str:
    adresse = reverse(nom, args=[_TROU if a is None else a for a in args], urlconf=table)
    adresse = adresse.replace("{", "{{").replace("}", "}}")
    return adresse.replace(str(_TROU), "{}", 1)


@functools.lru_cache(maxsize=512)
def _modele_entier(nom: str, nombre: int, prefixe: str, table) -> str:
    # Des repères de même longueur (aucun n'est une partie d'un autre), chacun remplacé par son rang.
    reperes = [_TROU - i for i in range(nombre)]
    modele = reverse(nom, args=reperes, urlconf=table).replace("{", "{{").replace("}", "}}")
    for rang, repere in enumerate(reperes):
        modele = modele.replace(str(repere), f"{{{rang}}}", 1)
    return modele


def echapper(valeur) -> str:
    """L'échappement de `format_html` (django.utils.html.conditional_escape : ce qui est déjà sûr tel quel, le
    reste par html.escape), sans ses enveloppes paresseuses, qui coûtaient autant que l'échappement lui-même."""
    if type(valeur) is str:  # le cas courant (noms, lignes de trace) : rien à demander de plus
        return html.escape(valeur)
    if isinstance(valeur, SafeString):
        return valeur
    if hasattr(valeur, "__html__"):
        return valeur.__html__()
    return html.escape(str(valeur))


def ligne(modele: str, **valeurs) -> SafeString:
    """`format_html(modele, **valeurs)`, plus vite : chaque valeur échappée, sauf celles déjà marquées sûres."""
    return SafeString(modele.format(**{cle: echapper(v) for cle, v in valeurs.items()}))


def elements_de_liste(textes) -> str:
    """`"".join(f"<li>{echapper(t)}</li>" for t in textes)`, en un seul échappement pour toute la liste.

    Les raisons de chaque candidat d'une page de délibération : un appel à html.escape (cinq remplacements) par
    ligne. Les textes sont joints par le caractère nul, que html.escape laisse
    tel quel, puis chaque séparateur devient « </li><li> ». Une liste qui n'est pas faite que de chaînes simples (une
    SafeString, déjà sûre) ou dont un texte contiendrait ce caractère (aucun texte lu de PostgreSQL : ni text ni
    jsonb ne l'acceptent) prend le chemin d'une ligne à la fois."""
    if not textes:
        return ""
    if set(map(type, textes)) == {str}:
        jointes = "\x00".join(textes)
        if jointes.count("\x00") == len(textes) - 1:
            return "<li>" + html.escape(jointes).replace("\x00", "</li><li>") + "</li>"
    return "".join(f"<li>{echapper(t)}</li>" for t in textes)
