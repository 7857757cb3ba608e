"""Classeurs XLSX fabriqués pour épuiser le serveur : chacun est lu, ou refusé, en mémoire et en temps bornés.

Les fichiers sont écrits ici à la main (XML brut zippé) : un tableur ne produirait pas ces pièges. Le pic de
mémoire est mesuré par tracemalloc (toutes les allocations Python, donc aussi celles d'openpyxl et d'expat via
les objets rendus) ; l'ancienne lecture (openpyxl complétant chaque rangée jusqu'à la dimension déclarée)
dépassait 3 Go et 30 s sur le premier.
"""

import io
import time
import tracemalloc
import zipfile

import pytest

from agora.tableaux import COLONNES_MAX, FichierInvalide, lire

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
RELS = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
TYPE_CHAINES = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
COLONNES = ["numero_candidat", "unite", "note"]
MO = 1024 * 1024


def classeur(feuille, chaines=None, bruit: bytes = b"") -> bytes:
    """Un classeur minimal ; `feuille` et `chaines` sont des itérables de morceaux de XML, écrits au fil de l'eau."""
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", TYPES + (TYPE_CHAINES if chaines is not None else "") + "</Types>")
        z.writestr(
            "_rels/.rels",
            f'{RELS}<Relationship Id="rId1" Type="{REL}officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook {NS} xmlns:r="{REL[:-1]}">'
            '<sheets><sheet name="F" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        relations = f'<Relationship Id="rId1" Type="{REL}worksheet" Target="worksheets/sheet1.xml"/>'
        if chaines is not None:
            relations += f'<Relationship Id="rId2" Type="{REL}sharedStrings" Target="sharedStrings.xml"/>'
        z.writestr("xl/_rels/workbook.xml.rels", f"{RELS}{relations}</Relationships>")
        for nom, morceaux in (("xl/worksheets/sheet1.xml", feuille), ("xl/sharedStrings.xml", chaines)):
            if morceaux is not None:
                with z.open(nom, "w") as partie:
                    for morceau in morceaux:
                        partie.write(morceau.encode())
        if bruit:  # octets incompressibles : le fichier passe le contrôle du taux de compression
            z.writestr("xl/media/bruit.bin", bruit, compress_type=zipfile.ZIP_STORED)
    return tampon.getvalue()


def cellule(reference: str, texte: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{texte}</t></is></c>'


ENTETE = '<row r="1">' + "".join(cellule(f"{c}1", v) for c, v in zip("ABC", COLONNES, strict=True)) + "</row>"
DONNEE = f'<row r="2">{cellule("A2", "T0000001")}{cellule("B2", "U2")}<c r="C2"><v>12.5</v></c></row>'


def feuille(*morceaux, dimension=""):
    yield f'<?xml version="1.0"?><worksheet {NS}>{dimension}<sheetData>{ENTETE}'
    for m in morceaux:
        yield from ([m] if isinstance(m, str) else m)
    yield "</sheetData></worksheet>"


def chaines(*morceaux):
    yield f'<?xml version="1.0"?><sst {NS}>'
    for m in morceaux:
        yield from ([m] if isinstance(m, str) else m)
    yield "</sst>"


def lire_ou_refuser(contenu: bytes):
    try:
        return lire(contenu, "piege.xlsx", COLONNES)
    except FichierInvalide as e:
        return str(e)


def mesurer(contenu: bytes):
    """(lignes lues ou message de refus, pic de mémoire en octets, durée en secondes).

    La durée est le temps processeur (la machine de test est partagée : le temps écoulé dépend des voisins),
    mesuré sans tracemalloc, qui ralentit chaque allocation ; le pic, dans une seconde lecture.
    """
    debut = time.process_time()
    resultat = lire_ou_refuser(contenu)
    duree = time.process_time() - debut
    tracemalloc.start()
    try:
        lire_ou_refuser(contenu)
        pic = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return resultat, pic, duree


PIEGES = {
    # 1,6 Ko déclarant 16 384 colonnes × 30 000 rangées, avec une cellule à la rangée 30 000
    "dimension_enorme": lambda: classeur(
        feuille(DONNEE, f'<row r="30000">{cellule("A30000", "x")}</row>', dimension='<dimension ref="A1:XFD30000"/>')
    ),
    # une donnée puis une cellule à la toute dernière rangée d'un classeur
    "derniere_rangee": lambda: classeur(feuille(DONNEE, f'<row r="1048576">{cellule("A1048576", "x")}</row>')),
    # 300 000 rangées vides explicites
    "rangees_vides": lambda: classeur(
        feuille(DONNEE, ("".join(f'<row r="{i}"/>' for i in range(k, k + 1000)) for k in range(3, 300_003, 1000)))
    ),
    # une cellule en colonne XFD sur 30 000 rangées (15 Go pour un lecteur qui alloue le rectangle)
    "colonne_lointaine": lambda: classeur(
        feuille(DONNEE, (f'<row r="{i}">{cellule(f"XFD{i}", "x")}</row>' for i in range(3, 30_003)))
    ),
    # les deux coins opposés d'un classeur
    "coins_opposes": lambda: classeur(feuille(f'<row r="1048576">{cellule("XFD1048576", "x")}</row>')),
    # 16 000 cellules vides mais présentes par rangée, avec du bruit pour passer le contrôle de compression
    "cellules_vides_innombrables": lambda: classeur(
        feuille(DONNEE, (f'<row r="{r}">' + "<c/>" * 16_000 + "</row>" for r in range(3, 403))),
        bruit=bytes(range(256)) * 2400,
    ),
    # 16 384 colonnes remplies sur 20 rangées
    "colonnes_nombreuses": lambda: classeur(
        feuille(
            DONNEE,
            (f'<row r="{r}">' + "<c><v>1</v></c>" * 16_384 + "</row>" for r in range(3, 23)),
        )
    ),
    # 500 000 textes partagés différents
    "chaines_innombrables": lambda: classeur(
        feuille(DONNEE),
        chaines("".join(f"<si><t>{k + i}</t></si>" for i in range(1000)) for k in range(0, 500_000, 1000)),
    ),
    # un seul texte partagé de 200 000 fragments « riches »
    "chaine_profonde": lambda: classeur(feuille(DONNEE), chaines("<si>", "<r><t>ab</t></r>" * 200_000, "</si>")),
    # un seul texte partagé de 100 000 balises imbriquées
    "chaine_imbriquee": lambda: classeur(feuille(DONNEE), chaines("<si>", "<x>" * 100_000, "</x>" * 100_000, "</si>")),
    # un texte de 5 Mo dans une cellule
    "cellule_geante": lambda: classeur(feuille(f'<row r="3">{cellule("A3", "x" * (5 * MO))}</row>')),
    # une bombe : 1 million de rangées identiques, plus de 1 000 fois plus grandes une fois dépliées
    "bombe": lambda: classeur(
        feuille(f"<row>{cellule('A1', 'T0000001')}</row>" * 10_000 for _ in range(100)),
    ),
    # beaucoup de fichiers dans l'archive
    "archive_peuplee": lambda: _archive_peuplee(),
}


def _archive_peuplee() -> bytes:
    tampon = io.BytesIO(classeur(feuille(DONNEE)))
    with zipfile.ZipFile(tampon, "a") as z:
        for i in range(5000):
            z.writestr(f"x/{i}", b"")
    return tampon.getvalue()


@pytest.mark.parametrize("nom", sorted(PIEGES))
def test_un_classeur_piege_est_lu_ou_refuse_en_memoire_et_temps_bornes(nom):
    contenu = PIEGES[nom]()
    assert len(contenu) < 5 * MO
    resultat, pic, duree = mesurer(contenu)
    assert pic < 50 * MO, f"{nom} : {pic / MO:.0f} Mo"
    assert duree < 5, f"{nom} : {duree:.1f} s"
    if isinstance(resultat, list):  # lu : seules comptent les vraies lignes, sans remplissage
        assert all(len(ligne.valeurs) == len(COLONNES) for ligne in resultat)
        assert len(resultat) <= 2


def test_la_dimension_declaree_ne_remplit_rien():
    lignes = lire(PIEGES["dimension_enorme"](), "f.xlsx", COLONNES)
    assert [(ligne.numero, ligne.valeurs) for ligne in lignes] == [
        (2, {"numero_candidat": "T0000001", "unite": "U2", "note": "12.5"}),
        (30000, {"numero_candidat": "x", "unite": "", "note": ""}),
    ]


def test_les_refus_sont_des_messages_en_francais():
    attendus = {
        "derniere_rangee": "Plus de 400000 lignes",
        "colonne_lointaine": f"plus de {COLONNES_MAX} colonnes",
        "colonnes_nombreuses": f"plus de {COLONNES_MAX} colonnes",
        "chaines_innombrables": "textes différents",
        "chaine_profonde": "trop de mises en forme",
        "chaine_imbriquee": "trop de mises en forme",
        "cellule_geante": "dépasse 32767 caractères",
        "bombe": "une fois décompressé",
        "archive_peuplee": "fichiers dans l'archive",
        "cellules_vides_innombrables": "plus de 1000000 balises",
    }
    for nom, debut in attendus.items():
        with pytest.raises(FichierInvalide, match=debut):
            lire(PIEGES[nom](), "f.xlsx", COLONNES)


def test_un_classeur_realiste_de_25_000_candidats_se_lit_vite():
    """Le fichier de référence des mesures du README : 25 000 candidats, dates, textes partagés (openpyxl)."""
    import datetime

    from openpyxl import Workbook

    classeur_ = Workbook(write_only=True)
    f = classeur_.create_sheet()
    f.append(["numero_candidat", "unite", "note", "date"])
    for i in range(25_000):
        f.append([f"{i:010d}", "U2", 12.5 if i % 2 else 7, datetime.date(2008, 1 + i % 12, 1 + i % 28)])
    tampon = io.BytesIO()
    classeur_.save(tampon)
    debut = time.process_time()
    lignes = lire(tampon.getvalue(), "f.xlsx", COLONNES, ["date"])
    assert time.process_time() - debut < 5
    assert len(lignes) == 25_000
    assert lignes[0].valeurs == {"numero_candidat": "0000000000", "unite": "U2", "note": "7", "date": "01/01/2008"}
    assert lignes[1].valeurs["note"] == "12.5"


ENTETE_CSV = ";".join(COLONNES) + "\n"
PIEGES_CSV = {
    "points_virgules": (ENTETE_CSV + ";" * (5 * MO - 100), "Une ligne dépasse 256 Ko"),
    "colonne_lointaine": (ENTETE_CSV + ";" * 500 + "x\n", "plus de 100 colonnes"),
    "lignes_vides": (ENTETE_CSV + "\n" * (5 * MO - 100), "Plus de 400000 lignes"),
    "lignes_vides_puis_donnee": (ENTETE_CSV + "\r\n" * 300_000 + "T1;U2;12\n", None),
    "champ_geant": (ENTETE_CSV + '"' + "a" * (5 * MO - 100), "Une ligne dépasse 256 Ko"),
    "champ_geant_sur_plusieurs_lignes": (ENTETE_CSV + '"' + "a\n" * (2 * MO), "CSV mal formé"),
}


@pytest.mark.parametrize("nom", sorted(PIEGES_CSV))
def test_un_csv_piege_est_lu_ou_refuse_en_memoire_et_temps_bornes(nom):
    texte, refus = PIEGES_CSV[nom]
    contenu = texte.encode()
    assert len(contenu) <= 5 * MO
    debut = time.process_time()
    try:
        resultat = lire(contenu, "piege.csv", COLONNES)
    except FichierInvalide as e:
        resultat = str(e)
    assert time.process_time() - debut < 5
    tracemalloc.start()
    try:
        lire_ou_refuser_csv(contenu)
        pic = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert pic < 50 * MO, f"{nom} : {pic / MO:.0f} Mo"
    if refus:
        assert refus in resultat
    else:
        assert [(ligne.numero, ligne.valeurs["numero_candidat"]) for ligne in resultat] == [(300_002, "T1")]


def lire_ou_refuser_csv(contenu: bytes):
    try:
        return lire(contenu, "piege.csv", COLONNES)
    except FichierInvalide as e:
        return str(e)
