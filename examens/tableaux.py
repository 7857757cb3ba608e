"""Lecture de fichiers tabulaires téléversés (CSV « ; » UTF-8, ou XLSX) en lignes numérotées.

Toute anomalie de forme (encodage, en-tête, taille) lève `FichierInvalide` avec un message en français :
l'import appelant n'écrit alors rien.
"""

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

TAILLE_MAX = 5 * 1024 * 1024  # téléversement dans le navigateur
TAILLE_MAX_COMMANDE = 50 * 1024 * 1024  # ligne de commande : les notes d'une session nationale dépassent 5 Mo
LIGNES_MAX = 400_000  # 25 000 candidats × 14 unités tiennent largement
TAILLE_DEPLIEE_MAX = 100 * 1024 * 1024  # un XLSX est un zip : on borne aussi ce qu'il contient une fois déplié


class FichierInvalide(Exception):
    pass


@dataclass(frozen=True)
class Ligne:
    numero: int  # numéro de ligne dans le fichier (l'en-tête est la ligne 1)
    valeurs: dict[str, str]


def lire(
    contenu: bytes, nom: str, obligatoires: list[str], facultatives: list[str] = (), taille_max: int = TAILLE_MAX
) -> list[Ligne]:
    if len(contenu) > taille_max:
        raise FichierInvalide(
            f"Fichier trop volumineux ({len(contenu) // 1024} Ko) : {taille_max // (1024 * 1024)} Mo au plus."
        )
    if not contenu.strip():
        raise FichierInvalide("Le fichier est vide.")
    if nom.lower().endswith(".xlsx") or contenu[:2] == b"PK":
        entete, lignes = _lire_xlsx(contenu)
    else:
        entete, lignes = _lire_csv(contenu)
    entete = [c.strip().lower() for c in entete]
    manquantes = [c for c in obligatoires if c not in entete]
    if manquantes:
        raise FichierInvalide(
            f"Ligne 1 : colonne{'s' if len(manquantes) > 1 else ''} manquante{'s' if len(manquantes) > 1 else ''} : "
            f"{', '.join(manquantes)} (en-tête attendu : {';'.join(obligatoires)})"
        )
    inconnues = [c for c in entete if c and c not in obligatoires and c not in facultatives]
    if inconnues:
        raise FichierInvalide(f"Ligne 1 : colonne inconnue : {', '.join(inconnues)}")
    if len(set(entete)) != len(entete):
        raise FichierInvalide("Ligne 1 : une colonne apparaît deux fois.")
    resultat = []
    for numero, cellules in lignes:
        if not any(c.strip() for c in cellules):
            continue  # ligne vide
        if len(cellules) > len(entete) and any(c.strip() for c in cellules[len(entete) :]):
            raise FichierInvalide(f"Ligne {numero} : {len(cellules)} colonnes pour {len(entete)} dans l'en-tête.")
        valeurs = {col: (cellules[i].strip() if i < len(cellules) else "") for i, col in enumerate(entete) if col}
        resultat.append(Ligne(numero, valeurs))
        if len(resultat) > LIGNES_MAX:
            raise FichierInvalide(f"Plus de {LIGNES_MAX} lignes : découpez le fichier.")
    if not resultat:
        raise FichierInvalide("Le fichier ne contient aucune ligne de données.")
    return resultat


def _lire_csv(contenu: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        texte = contenu.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        ligne = contenu[: e.start].count(b"\n") + 1
        raise FichierInvalide(
            f"Ligne {ligne} : encodage invalide (octet {contenu[e.start]:#04x}). Enregistrez le fichier en CSV UTF-8."
        ) from None
    if "\x00" in texte:
        raise FichierInvalide("Le fichier contient des caractères nuls : ce n'est pas un CSV texte.")
    lecteur = csv.reader(io.StringIO(texte, newline=""), delimiter=";")
    try:
        rangees = []
        for r in lecteur:
            rangees.append((lecteur.line_num, r))
            if len(rangees) > LIGNES_MAX + 1:
                raise FichierInvalide(f"Plus de {LIGNES_MAX} lignes : découpez le fichier.")
    except csv.Error as e:
        raise FichierInvalide(f"Ligne {lecteur.line_num} : CSV mal formé ({e}).") from None
    if not rangees:
        raise FichierInvalide("Le fichier est vide.")
    (_, entete), *lignes = rangees
    if len(entete) == 1 and ("," in entete[0] or "\t" in entete[0]):
        raise FichierInvalide("Ligne 1 : le séparateur de colonnes doit être le point-virgule « ; ».")
    return entete, lignes


def _texte_cellule(valeur) -> str:
    if valeur is None:
        return ""
    if isinstance(valeur, datetime.datetime | datetime.date):
        return valeur.strftime("%d/%m/%Y")
    if isinstance(valeur, float):
        # Excel stocke 12,5 en flottant : on repasse par sa représentation décimale la plus courte.
        return format(Decimal(repr(valeur)).normalize(), "f")
    return str(valeur)


def _lire_xlsx(contenu: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(contenu)) as archive:
            depliee = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FichierInvalide("Classeur XLSX illisible (archive zip invalide).") from None
    # Un vrai classeur se comprime d'un facteur 5 à 20 ; au-delà de 50, c'est une « bombe » de décompression.
    if depliee > TAILLE_DEPLIEE_MAX or (depliee > 10 * 1024 * 1024 and depliee > 50 * len(contenu)):
        raise FichierInvalide(
            f"Classeur XLSX refusé : {depliee // (1024 * 1024)} Mo une fois décompressé pour "
            f"{len(contenu) // 1024} Ko de fichier."
        )
    try:
        classeur = load_workbook(io.BytesIO(contenu), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as e:
        raise FichierInvalide(f"Classeur XLSX illisible ({type(e).__name__}).") from None
    try:
        feuille = classeur.worksheets[0]
        rangees = []
        for i, r in enumerate(feuille.iter_rows(values_only=True), start=1):
            rangees.append((i, [_texte_cellule(v) for v in r]))
            if i > LIGNES_MAX + 1:
                raise FichierInvalide(f"Plus de {LIGNES_MAX} lignes : découpez le classeur.")
    except FichierInvalide:
        raise
    except Exception as e:  # openpyxl lève des erreurs variées sur un XML corrompu
        raise FichierInvalide(f"Classeur XLSX illisible ({type(e).__name__}).") from None
    finally:
        classeur.close()
    if not rangees:
        raise FichierInvalide("La première feuille du classeur est vide.")
    (_, entete), *lignes = rangees
    return entete, lignes
