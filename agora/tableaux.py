"""Lecture de fichiers tabulaires téléversés (CSV « ; » UTF-8, ou XLSX) en lignes numérotées.

Toute anomalie de forme (encodage, en-tête, taille) lève `FichierInvalide` avec un message en français :
l'import appelant n'écrit alors rien.
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

TAILLE_MAX = 5 * 1024 * 1024  # téléversement dans le navigateur
TAILLE_MAX_COMMANDE = 50 * 1024 * 1024  # ligne de commande : les notes d'une session nationale dépassent 5 Mo
LIGNES_MAX = 400_000  # 25 000 candidats × 14 unités tiennent largement
TAILLE_DEPLIEE_MAX = 100 * 1024 * 1024  # un XLSX est un zip : on borne aussi ce qu'il contient une fois déplié
ENTREES_ZIP_MAX = 1_000  # fichiers dans l'archive : un classeur en a une quinzaine


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
        entete, lignes = _lire_xlsx(
            contenu, ELEMENTS_FEUILLE_MAX if taille_max <= TAILLE_MAX else ELEMENTS_FEUILLE_MAX_COMMANDE
        )
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


ENCODAGES = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252 (Excel)"}
SEPARATEURS = {";": "point-virgule « ; »", ",": "virgule « , »", "\t": "tabulation"}


def decoder(contenu: bytes) -> tuple[str, str]:
    """(texte, encodage) : UTF-8 (avec ou sans BOM), sinon Windows-1252, l'encodage d'Excel sous Windows en France.

    Windows-1252 décode presque tous les octets : seuls cinq n'y ont pas de sens ; un fichier qui en contient n'est
    ni l'un ni l'autre et se refuse avec la ligne fautive.
    """
    try:
        return contenu.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        return contenu.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as e:
        ligne = contenu[: e.start].count(b"\n") + 1
        raise FichierInvalide(
            f"Ligne {ligne} : encodage non reconnu (ni UTF-8 ni Windows-1252). Dans le tableur, enregistrez le "
            "fichier au format « CSV UTF-8 »."
        ) from None


def separateur(premiere_ligne: str) -> str:
    """Le séparateur de colonnes, reconnu sur la ligne d'en-tête : le plus fréquent de « ; », « , » et tabulation
    (Excel en français écrit « ; », d'autres tableurs « , ») ; « ; » si la ligne n'en a aucun."""
    comptes = {s: premiere_ligne.count(s) for s in SEPARATEURS}
    meilleur = max(comptes, key=comptes.get)
    return meilleur if comptes[meilleur] else ";"


def decrire(contenu: bytes, nom: str) -> str:
    """Ce que l'aperçu dit du fichier : « CSV, Windows-1252 (Excel), séparateur virgule « , » » ou « XLSX »."""
    if nom.lower().endswith(".xlsx"):
        return "XLSX"
    try:
        texte, encodage = decoder(contenu)
    except FichierInvalide:
        return "CSV"
    premiere = texte.split("\n", 1)[0]
    return f"CSV, encodage {ENCODAGES[encodage]}, séparateur {SEPARATEURS[separateur(premiere)]}"


def _lire_csv(contenu: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    texte, _ = decoder(contenu)
    if "\x00" in texte:
        raise FichierInvalide("Le fichier contient des caractères nuls : ce n'est pas un CSV texte.")
    # Ligne à ligne plutôt que par io.StringIO, qui recopie le texte à 4 octets par caractère.
    lecteur = csv.reader(
        map(_ligne_csv, _LIGNE_CSV.finditer(texte)), delimiter=separateur(texte[: texte.find("\n") + 1 or None])
    )
    entete, rangees = None, []
    try:
        for r in lecteur:
            if lecteur.line_num > LIGNES_MAX + 1:
                raise FichierInvalide(f"Plus de {LIGNES_MAX} lignes : découpez le fichier.")
            if entete is not None and not "".join(r).strip():
                continue  # ligne vide : rien à garder (lire() l'ignorerait)
            if len(r) > COLONNES_MAX:
                if any(c.strip() for c in r[COLONNES_MAX:]):
                    raise FichierInvalide(
                        f"Ligne {lecteur.line_num} : plus de {COLONNES_MAX} colonnes, c'est plus que tout import."
                    )
                r = r[:COLONNES_MAX]
            if entete is None:
                entete = r
            else:
                rangees.append((lecteur.line_num, r))
    except csv.Error as e:
        raise FichierInvalide(f"Ligne {lecteur.line_num} : CSV mal formé ({e}).") from None
    if entete is None:
        raise FichierInvalide("Le fichier est vide.")
    return entete, rangees


_LIGNE_CSV = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
LIGNE_CSV_MAX = 256 * 1024  # caractères d'une ligne : 100 colonnes de 2 500 caractères


def _ligne_csv(correspondance) -> str:
    """Une ligne du texte ; refusée au-delà de LIGNE_CSV_MAX, avant que le module csv n'en fasse des millions de
    champs (5 Mo de « ; » en font 5 millions)."""
    ligne = correspondance.group()
    if len(ligne) > LIGNE_CSV_MAX:
        raise FichierInvalide(f"Une ligne dépasse {LIGNE_CSV_MAX // 1024} Ko : ce n'est pas un fichier d'import.")
    return ligne


def _texte_cellule(valeur) -> str:
    if valeur is None:
        return ""
    if isinstance(valeur, datetime.datetime | datetime.date):
        return valeur.strftime("%d/%m/%Y")
    if isinstance(valeur, float):
        # Excel stocke 12,5 en flottant : on repasse par sa représentation décimale la plus courte.
        return format(Decimal(repr(valeur)).normalize(), "f")
    return str(valeur)


# Bornes d'un classeur XLSX, vérifiées au fil de la lecture, avant d'allouer quoi que ce soit d'autre.
COLONNES_MAX = 100  # nos imports ont une dizaine de colonnes ; XLSX en permet 16 384
CELLULE_MAX = 32_767  # caractères d'une cellule, la limite d'Excel lui-même
CHAINES_PARTAGEES_MAX = 200_000  # chaînes distinctes (25 000 candidats × 6 colonnes de texte tiennent)
ELEMENTS_PAR_CHAINE_MAX = 200  # balises dans une chaîne partagée (mises en forme « riches » comprises)
# Balises XML de la feuille : chacune coûte ~ 2,5 µs de Python (expat appelle une fonction par balise). Un
# million (~ 2,5 s) couvre 25 000 candidats à 7 colonnes ou 100 000 lignes de notes ; la ligne de commande, qui
# accepte 50 Mo, va jusqu'à 10 millions (les 350 000 lignes de notes d'une session nationale en font 2,8).
ELEMENTS_FEUILLE_MAX = 1_000_000
ELEMENTS_FEUILLE_MAX_COMMANDE = 10_000_000
PARTIE_MAX = {  # taille dépliée de chaque partie du zip que l'on lit
    "feuille": TAILLE_DEPLIEE_MAX,
    "chaines": 16 * 1024 * 1024,
    "autre": 2 * 1024 * 1024,  # [Content_Types].xml, workbook.xml, styles.xml, thème… : quelques Ko en vrai
}
_BLOC = 64 * 1024
_COLONNE_XLSX_MAX = 16_384  # XFD


def _nom_local(nom: str) -> str:
    return nom.rpartition(" ")[2]  # expat avec séparateur d'espace de noms : « uri nom »


def _analyser(source, debut, fin, texte) -> Iterator[None]:
    """Analyse un flux XML par blocs avec expat, en rendant la main après chaque bloc.

    Mémoire constante : aucun arbre n'est construit (iterparse, lui, garde l'arbre de chaque rangée et une
    coquille de chaque élément déjà lu). Pas de DTD ni d'entité externe : un classeur n'en a pas besoin.
    """
    from xml.parsers import expat

    parseur = expat.ParserCreate(namespace_separator=" ")
    parseur.buffer_text = True
    parseur.StartElementHandler = debut
    parseur.EndElementHandler = fin
    parseur.CharacterDataHandler = texte
    parseur.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        while bloc := source.read(_BLOC):
            parseur.Parse(bloc, False)
            yield
        parseur.Parse(b"", True)
        yield
    except expat.ExpatError as e:
        raise FichierInvalide(f"Classeur XLSX illisible (XML mal formé : {expat.ErrorString(e.code)}).") from None


def _lire_chaines_partagees(source) -> list[str]:
    """La table des chaînes partagées, bornée en nombre, en longueur et en profondeur de chaque chaîne."""
    chaines: list[str] = []
    morceaux: list[str] = []
    etat = {"si": False, "t": 0, "rph": 0, "elements": 0, "longueur": 0}

    def debut(nom, _attributs):
        local = _nom_local(nom)
        if local == "si":
            if len(chaines) >= CHAINES_PARTAGEES_MAX:
                raise FichierInvalide(f"Classeur XLSX refusé : plus de {CHAINES_PARTAGEES_MAX} textes différents.")
            etat.update(si=True, elements=0, longueur=0)
            morceaux.clear()
        elif etat["si"]:
            etat["elements"] += 1
            if etat["elements"] > ELEMENTS_PAR_CHAINE_MAX:
                raise FichierInvalide("Classeur XLSX refusé : un texte compte trop de mises en forme.")
            if local == "t":
                etat["t"] += 1
            elif local == "rPh":  # transcription phonétique : pas du texte de la cellule
                etat["rph"] += 1

    def fin(nom):
        local = _nom_local(nom)
        if local == "si":
            chaines.append("".join(morceaux))
            etat["si"] = False
        elif local == "t" and etat["si"]:
            etat["t"] -= 1
        elif local == "rPh" and etat["si"]:
            etat["rph"] -= 1

    def texte(donnees):
        if etat["si"] and etat["t"] and not etat["rph"]:
            etat["longueur"] += len(donnees)
            if etat["longueur"] > CELLULE_MAX:
                raise FichierInvalide(f"Classeur XLSX refusé : un texte dépasse {CELLULE_MAX} caractères.")
            morceaux.append(donnees)

    for _ in _analyser(source, debut, fin, texte):
        pass
    return chaines


def _colonne(reference: str) -> int:
    """« AB12 » → 28 ; 0 si la référence est absente ou absurde."""
    colonne = 0
    for caractere in reference:
        if "A" <= caractere <= "Z":
            colonne = colonne * 26 + ord(caractere) - 64
            if colonne > _COLONNE_XLSX_MAX:
                return _COLONNE_XLSX_MAX + 1
        else:
            break
    return colonne


def _valeur(type_, brute: str, style: int, classeur, chaines: list[str]):
    if type_ == "s":
        try:
            return chaines[int(brute)]
        except (ValueError, IndexError):
            raise FichierInvalide("Classeur XLSX illisible (référence à un texte inexistant).") from None
    if type_ in ("inlineStr", "str", "e"):
        return brute
    if type_ == "b":
        return brute.strip() in ("1", "true")
    if type_ == "d":
        from openpyxl.utils.datetime import from_ISO8601

        try:
            return from_ISO8601(brute)
        except (ValueError, TypeError):
            return brute
    try:
        nombre = float(brute) if any(c in brute for c in ".eE") else int(brute)
    except ValueError:
        raise FichierInvalide(f"Classeur XLSX illisible (nombre invalide « {brute[:20]} »).") from None
    if style in classeur._date_formats:
        from openpyxl.utils.datetime import from_excel

        try:
            return from_excel(nombre, classeur.epoch, timedelta=style in classeur._timedelta_formats)
        except (OverflowError, ValueError, TypeError):
            return nombre
    return nombre


def _lignes_feuille(source, classeur, chaines: list[str], elements_max: int):
    """Les rangées non vides de la feuille, (numéro, cellules), au fil de la lecture ; jamais de remplissage.

    Une rangée ne contient que ses cellules jusqu'à la dernière non vide : la dimension déclarée (`A1:XFD30000`),
    les rangées vides et les cellules vides mais mises en forme ne coûtent rien.
    """

    pretes: list[tuple[int, list[str]]] = []
    etat = {"rangee": 0, "colonne": 0, "cellule": None, "texte": False, "elements": 0, "is": False, "rph": 0}
    etat["longueur"] = 0
    cellules: dict[int, str] = {}
    morceaux: list[str] = []

    def debut(nom, attributs):
        etat["elements"] += 1
        if etat["elements"] > elements_max:
            raise FichierInvalide(
                f"Classeur XLSX refusé : plus de {elements_max} balises dans la feuille. Découpez le classeur, "
                "ou enregistrez-le en CSV."
            )
        local = _nom_local(nom)
        if local == "row":
            try:
                rangee = int(attributs.get("r") or etat["rangee"] + 1)
            except ValueError:
                raise FichierInvalide("Classeur XLSX illisible (numéro de ligne invalide).") from None
            if rangee > LIGNES_MAX + 1:
                raise FichierInvalide(f"Plus de {LIGNES_MAX} lignes : découpez le classeur.")
            etat.update(rangee=rangee, colonne=0)
            cellules.clear()
        elif local == "c":
            colonne = _colonne(attributs.get("r", "")) or etat["colonne"] + 1
            if colonne > _COLONNE_XLSX_MAX:
                raise FichierInvalide(f"Ligne {etat['rangee']} : colonne au-delà de XFD, la dernière d'un classeur.")
            try:
                style = int(attributs.get("s") or 0)
            except ValueError:
                style = 0
            etat.update(colonne=colonne, cellule=(attributs.get("t", "n"), style), longueur=0)
            morceaux.clear()
        elif etat["cellule"] is not None:
            if local == "is":
                etat["is"] = True
            elif local == "rPh":
                etat["rph"] += 1
            elif (local == "v" and not etat["is"]) or (local == "t" and etat["is"] and not etat["rph"]):
                etat["texte"] = True

    def fin(nom):
        local = _nom_local(nom)
        if local in ("v", "t"):
            etat["texte"] = False
        elif local == "rPh":
            etat["rph"] -= 1
        elif local == "is":
            etat["is"] = False
        elif local == "c" and etat["cellule"] is not None:
            type_, style = etat["cellule"]
            etat["cellule"] = None
            if morceaux:
                texte = _texte_cellule(_valeur(type_, "".join(morceaux), style, classeur, chaines))
                if texte.strip():
                    if etat["colonne"] > COLONNES_MAX:
                        raise FichierInvalide(
                            f"Ligne {etat['rangee']} : plus de {COLONNES_MAX} colonnes, c'est plus que tout import."
                        )
                    cellules[etat["colonne"]] = texte
        elif local == "row":
            if cellules:
                derniere = max(cellules)
                pretes.append((etat["rangee"], [cellules.get(i, "") for i in range(1, derniere + 1)]))
                cellules.clear()

    def texte(donnees):
        if etat["texte"]:
            morceaux.append(donnees)
            etat["longueur"] += len(donnees)
            if etat["longueur"] > CELLULE_MAX:
                raise FichierInvalide(f"Ligne {etat['rangee']} : une cellule dépasse {CELLULE_MAX} caractères.")

    for _ in _analyser(source, debut, fin, texte):
        yield from pretes
        pretes.clear()


def _lire_xlsx(
    contenu: bytes, elements_max: int = ELEMENTS_FEUILLE_MAX
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """En-tête et rangées de la première feuille, lues au fil de l'eau.

    openpyxl, même en lecture seule, complète chaque rangée jusqu'à la dimension déclarée par le fichier
    (`<dimension ref="A1:XFD30000"/>` : 16 384 cellules × 30 000 rangées pour un fichier de 1,6 Ko) et
    construit l'arbre XML de chaque rangée avant de la rendre (une rangée de millions de cellules vides) : il ne
    sert ici qu'à lire la structure du classeur (feuilles, formats de date). Les chaînes partagées et la feuille
    sont lues avec expat, par blocs de 64 Ko, sous les bornes ci-dessus : la mémoire reste proportionnelle à ce
    que le fichier contient vraiment, jamais à ce qu'il déclare.
    """
    if contenu.count(b"PK\x01\x02") > ENTREES_ZIP_MAX:  # une entrée du répertoire central par fichier contenu
        raise FichierInvalide(f"Classeur XLSX refusé : plus de {ENTREES_ZIP_MAX} fichiers dans l'archive.")
    try:
        with zipfile.ZipFile(io.BytesIO(contenu)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise FichierInvalide("Classeur XLSX illisible (archive zip invalide).") from None
    depliee = sum(info.file_size for info in infos)
    # Un vrai classeur se comprime d'un facteur 5 à 20 ; au-delà de 50, c'est une « bombe » de décompression.
    if depliee > TAILLE_DEPLIEE_MAX or (depliee > 10 * 1024 * 1024 and depliee > 50 * len(contenu)):
        raise FichierInvalide(
            f"Classeur XLSX refusé : {depliee // (1024 * 1024)} Mo une fois décompressé pour "
            f"{len(contenu) // 1024} Ko de fichier."
        )
    # zipfile s'arrête à la taille déclarée de chaque partie (et vérifie son CRC) : la borner suffit.
    for info in infos:
        nom = info.filename.lower()
        if "worksheets/" in nom:
            continue  # lue par blocs, bornée par TAILLE_DEPLIEE_MAX et ELEMENTS_FEUILLE_MAX
        borne = PARTIE_MAX["chaines"] if nom.endswith("sharedstrings.xml") else PARTIE_MAX["autre"]
        if nom.endswith((".xml", ".rels")) and info.file_size > borne:
            raise FichierInvalide(
                f"Classeur XLSX refusé : la partie {info.filename[:80]} fait {info.file_size // 1024} Ko dépliée."
            )
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import SHARED_STRINGS

    class Lecteur(ExcelReader):
        """Ne lit d'openpyxl que la structure ; ni les propriétés, ni le thème, ni les autres feuilles."""

        feuille = None

        def read_strings(self):
            type_ = self.package.find(SHARED_STRINGS)
            if type_ is not None:
                with self.archive.open(type_.PartName[1:]) as source:
                    self.shared_strings = _lire_chaines_partagees(source)

        def read_worksheets(self):
            # openpyxl ouvrirait chaque feuille pour y chercher sa dimension, par iterparse jusqu'à la fin de
            # <sheetData> s'il n'y en a pas : un arbre de toute la feuille. On retient seulement la première.
            for _feuille, relation in self.parser.find_sheets():
                if relation.target in self.valid_files and "chartsheet" not in relation.Type:
                    self.feuille = relation.target
                    return

    try:
        lecteur = Lecteur(io.BytesIO(contenu), read_only=True, data_only=True)
        lecteur.read_manifest()
        lecteur.read_strings()
        lecteur.read_workbook()
        apply_stylesheet(lecteur.archive, lecteur.wb)  # formats de date des styles
        lecteur.read_worksheets()
        classeur = lecteur.wb
        if lecteur.feuille is None:
            raise FichierInvalide("Le classeur ne contient aucune feuille.")
        source = lecteur.archive.open(lecteur.feuille)
    except FichierInvalide:
        raise
    except Exception as e:  # openpyxl lève des erreurs variées sur un classeur corrompu
        raise FichierInvalide(f"Classeur XLSX illisible ({type(e).__name__}).") from None

    def rangees():
        try:
            yield from _lignes_feuille(source, classeur, lecteur.shared_strings, elements_max)
        except FichierInvalide:
            raise
        except Exception as e:  # zip tronqué, CRC faux…
            raise FichierInvalide(f"Classeur XLSX illisible ({type(e).__name__}).") from None
        finally:
            source.close()
            lecteur.archive.close()

    lignes = rangees()
    premiere = next(lignes, None)
    if premiere is None:
        raise FichierInvalide("La première feuille du classeur est vide.")
    _, entete = premiere  # la première rangée non vide ; les lignes gardent leur numéro dans le tableur
    return entete, lignes


# Les erreurs d'un import, numérotées par ligne du fichier : communes aux imports d'examens et de pfmp.
@dataclass(frozen=True)
class Erreur:
    ligne: int
    message: str

    def __str__(self):
        return f"ligne {self.ligne} : {self.message}" if self.ligne else self.message


class ImportRefuse(Exception):
    def __init__(self, erreurs: list[Erreur]):
        super().__init__(f"{len(erreurs)} erreur(s)")
        self.erreurs = erreurs
