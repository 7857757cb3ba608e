"""Imports nourris au hasard (hypothesis) : jamais d'autre exception que `ImportRefuse`, et un refus n'écrit rien.

Octets quelconques, texte dans le mauvais encodage, CSV aux cellules, guillemets, points-virgules et retours à la
ligne aléatoires, en-tête valide suivi de lignes absurdes, faux XLSX (b"PK" + hasard), vrais XLSX aux cellules
aléatoires, fichiers de plus de 5 Mo.
"""

import csv
import datetime
import io
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from examens.imports import COLONNES_CANDIDATS, COLONNES_NOTES, ImportRefuse, importer_candidats, importer_notes
from examens.models import Candidat, Etablissement, HistoriqueNote, Journal, Note, Session
from tests import fabriques
from tests.examens.outils import ENTETE_CANDIDATS, csv_bytes, ligne_candidat, lignes_notes

pytestmark = pytest.mark.django_db

IMPORTS = {"candidats": importer_candidats, "notes": importer_notes}
ENTETES = {"candidats": ";".join(COLONNES_CANDIDATS), "notes": ";".join(COLONNES_NOTES)}
NOMS = st.sampled_from(["import.csv", "import.CSV", "import.xlsx", "import.txt", "sans-extension", ""])
# FUZZ_EXEMPLES=5000 pour une campagne longue ; 150 par défaut tient la suite sous 30 s.
EXEMPLES = int(os.environ.get("FUZZ_EXEMPLES", 150))
HASARD = settings(max_examples=EXEMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Des cellules qui cherchent les ennuis : séparateurs, guillemets, fins de ligne, NUL, BOM, formules, nombres.
CELLULE = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=';"\r\n\t\x00\ufeff =+-@,.0123456789ABCUabc/|:é', max_size=30),
    st.sampled_from(["", "U31", "U2", "UF1", "14,5", "20", "-1", "ABJ", "DIS", "NaN", "1e9", "T0000001", "G001"]),
    st.sampled_from(["14/03/2008", "31/02/2008", "0750001U", "scolaire_public", "globale", "LV:it|EPS", "en", "es"]),
)


def compter() -> dict:
    return {m.__name__: m.objects.count() for m in (Candidat, Note, Etablissement, Session, HistoriqueNote, Journal)}


def verifier_refus_ou_import(quoi: str, contenu: bytes, nom: str, apercu: bool = False) -> None:
    """L'import réussit ou lève ImportRefuse (messages en français, rien d'écrit) ; rien d'autre."""
    avant = compter()
    try:
        IMPORTS[quoi](contenu=contenu, nom_fichier=nom, annee=2026, auteur=None, apercu=apercu)
    except ImportRefuse as refus:
        event("refus : fichier" if refus.erreurs[0].ligne == 0 else "refus : lignes")
        assert refus.erreurs, "un refus dit pourquoi"
        assert all(isinstance(e.ligne, int) and e.ligne >= 0 and str(e).strip() for e in refus.erreurs)
        assert compter() == avant, "un import refusé n'écrit rien"
    else:
        event("importé")
        if apercu:
            assert compter() == avant, "un aperçu n'écrit rien"


@pytest.fixture
def session_avec_candidats(db):
    """Une session 2026 et deux candidats, pour que l'import de notes aille jusqu'à la validation des lignes."""
    div = fabriques.division()
    fabriques.candidat(division=div, numero="T0000001", facultative1="EPS")
    fabriques.candidat(division=div, numero="G001")
    User.objects.create_user("gestionnaire-fuzz")
    return div.session


def tableur(lignes: list[list]) -> bytes:
    classeur = Workbook()
    feuille = classeur.active
    for ligne in lignes:
        feuille.append(ligne)
    tampon = io.BytesIO()
    classeur.save(tampon)
    return tampon.getvalue()


# ---------------------------------------------------------------------------------------------------


@HASARD
@given(quoi=st.sampled_from(list(IMPORTS)), contenu=st.binary(max_size=3000), nom=NOMS, apercu=st.booleans())
@example(quoi="candidats", contenu=b"", nom="x.csv", apercu=False)
@example(quoi="notes", contenu=b"\xff\xfe\x00\x00", nom="x.csv", apercu=False)
@example(quoi="candidats", contenu=b"\x00" * 10, nom="x.xlsx", apercu=False)
def test_octets_quelconques(session_avec_candidats, quoi, contenu, nom, apercu):
    verifier_refus_ou_import(quoi, contenu, nom, apercu)


@HASARD
@given(
    quoi=st.sampled_from(list(IMPORTS)),
    texte=st.text(max_size=600),
    encodage=st.sampled_from(["latin-1", "utf-16", "utf-16-le", "utf-32", "cp1252", "utf-8"]),
    entete=st.booleans(),
)
def test_texte_dans_un_autre_encodage(session_avec_candidats, quoi, texte, encodage, entete):
    if entete:
        texte = ENTETES[quoi] + "\n" + texte
    contenu = texte.encode(encodage, errors="replace")
    verifier_refus_ou_import(quoi, contenu, "import.csv")


@HASARD
@given(
    quoi=st.sampled_from(list(IMPORTS)),
    lignes=st.lists(st.lists(CELLULE, max_size=14), max_size=12),
    entete_valide=st.booleans(),
    bom=st.booleans(),
    fin=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_csv_aux_cellules_aleatoires(session_avec_candidats, quoi, lignes, entete_valide, bom, fin):
    texte = fin.join(([ENTETES[quoi]] if entete_valide else []) + [";".join(cellules) for cellules in lignes])
    contenu = ("\ufeff" if bom else "").encode() + texte.encode("utf-8", errors="surrogatepass")
    verifier_refus_ou_import(quoi, contenu, "import.csv")


# Valeurs plausibles par colonne, mêlées au hasard : les lignes vont jusqu'à la validation, parfois jusqu'à l'écriture.
PLAUSIBLES = {
    "numero_candidat": ["T0000001", "G001", "A001", "A002", "a b", "X" * 21],
    "nom": ["MARTIN", '=HYPERLINK("x")', "-", "N'DIAYE", "É" * 101],
    "prenom": ["Léa", "@SUM(1)", "Zoé"],
    "date_naissance": ["14/03/2008", "29/02/2008", "29/02/2007", "14/03/1900", "2008-03-14", "00/00/0000"],
    "uai": [fabriques.uai("0750001"), "0750001A", fabriques.uai("0930122"), "0000000A", "075000"],
    "statut": ["scolaire_public", "fpc_prive", "apprenti_cfa_habilite", "experience_3_ans", "scolaire"],
    "forme": ["globale", "progressive", "", "GLOBALE"],
    "lv1": ["en", "es", "EN", "xx", ""],
    "lv2": ["es", "de", "en", "", "zz"],
    "facultatives": ["", "EPS", "LV:it|EPS", "MOBILITE|EPS|LV:de", "LV:en", "EPS|EPS", "LV:"],
    "duree_cycle": ["", "2", "3", "4", "deux"],
    "positionnement_semaines": ["", "10", "12,5", "22.0", "-1", "1e3", "NaN", "8"],
    "division": ["", "TAGO1", "D" * 51, "TAGO2"],
    "unite": ["U31", "u2", "U 33", "UF1", "UF2", "U99", "1", ""],
    "note": ["12", "14,5", "10.125", "20,00", "-1", "21", "ABJ", "abs", "DIS", "NV", "NaN", "1e1", "+3", ""],
    "groupe": ["", "1", "2", "3", "01"],
    "session_origine": ["", "2024", "2019", "2026", "20a4", "1999"],
    "specialite_origine": ["", "AGORA", "GA", "ga", "BTS"],
}
FACULTATIVES = {
    "candidats": ["duree_cycle", "positionnement_semaines", "division"],
    "notes": ["groupe", "session_origine", "specialite_origine"],
}


@st.composite
def fichier_structure(draw, quoi: str) -> bytes:
    """Un en-tête valide (colonnes facultatives comprises, ordre quelconque) et des lignes à la bonne largeur."""
    colonnes = list(COLONNES_CANDIDATS if quoi == "candidats" else COLONNES_NOTES)
    colonnes += draw(st.lists(st.sampled_from(FACULTATIVES[quoi]), unique=True))
    colonnes = draw(st.permutations(colonnes))
    # Sans NUL ici (un seul NUL et tout le fichier est refusé d'emblée, test_csv_aux_cellules_aleatoires le couvre).
    hasard = CELLULE.map(lambda c: c.replace("\x00", ""))
    cellule = {c: st.one_of(st.sampled_from(PLAUSIBLES[c]), hasard) for c in colonnes}
    lignes = draw(st.lists(st.tuples(*(cellule[c] for c in colonnes)), min_size=1, max_size=8))
    tampon = io.StringIO()
    ecrivain = csv.writer(tampon, delimiter=";", lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    ecrivain.writerow([c.upper() if draw(st.booleans()) else c for c in colonnes])
    ecrivain.writerows(lignes)
    return tampon.getvalue().encode("utf-8", errors="surrogatepass")


@HASARD
@given(data=st.data(), quoi=st.sampled_from(list(IMPORTS)), apercu=st.booleans())
def test_entete_valide_suivi_de_lignes_absurdes(session_avec_candidats, data, quoi, apercu):
    """Un vrai CSV (guillemets, ; et retours à la ligne échappés) : chaque ligne passe la validation métier."""
    verifier_refus_ou_import(quoi, data.draw(fichier_structure(quoi)), "import.csv", apercu)


@HASARD
@given(quoi=st.sampled_from(list(IMPORTS)), reste=st.binary(max_size=3000), nom=NOMS)
@example(quoi="candidats", reste=b"\x03\x04", nom="x.xlsx")
def test_faux_classeur_xlsx(session_avec_candidats, quoi, reste, nom):
    verifier_refus_ou_import(quoi, b"PK" + reste, nom)


def zip_tronque(contenu: bytes, coupe: float) -> bytes:
    return contenu[: max(2, int(len(contenu) * coupe))]


@settings(
    max_examples=max(EXEMPLES // 3, 10), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    quoi=st.sampled_from(list(IMPORTS)),
    cellules=st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20),
                st.integers(-(10**12), 10**12),
                st.floats(allow_nan=True, allow_infinity=False, width=32),
                st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000),
                st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(2100, 1, 1)),
                st.booleans(),
                st.sampled_from(["=1+1", '=HYPERLINK("http://x")', "U31", "14,5", "T0000001"]),
            ),
            max_size=12,
        ),
        max_size=6,
    ),
    coupe=st.one_of(st.none(), st.floats(min_value=0.05, max_value=0.99)),
)
def test_vrai_classeur_aux_cellules_aleatoires_entier_ou_tronque(session_avec_candidats, quoi, cellules, coupe):
    entete = (COLONNES_CANDIDATS if quoi == "candidats" else COLONNES_NOTES)[:]
    contenu = tableur([entete, *cellules])
    if coupe is not None:
        contenu = zip_tronque(contenu, coupe)
    verifier_refus_ou_import(quoi, contenu, "import.xlsx")


# ---------------------------------------------------------------------------------------------------
# Cas déterministes : taille, fichiers presque valides
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quoi", list(IMPORTS))
@pytest.mark.parametrize("nom", ["gros.csv", "gros.xlsx"])
def test_plus_de_5_mo_est_refuse_avant_toute_lecture(session_avec_candidats, quoi, nom):
    ligne = ligne_candidat("A001") if quoi == "candidats" else "T0000001;U31;12"
    entete = ENTETE_CANDIDATS if quoi == "candidats" else ENTETES["notes"]
    contenu = csv_bytes(entete, *[ligne] * (5 * 1024 * 1024 // len(ligne) + 10))
    assert len(contenu) > 5 * 1024 * 1024
    avant = compter()
    with pytest.raises(ImportRefuse) as refus:
        IMPORTS[quoi](contenu=contenu, nom_fichier=nom, annee=2026)
    assert "Fichier trop volumineux" in str(refus.value.erreurs[0]) and "5 Mo au plus" in str(refus.value.erreurs[0])
    assert compter() == avant


def test_un_seul_octet_au_dela_de_5_mo_suffit(session_avec_candidats):
    with pytest.raises(ImportRefuse, match="1 erreur"):
        importer_candidats(contenu=b"a" * (5 * 1024 * 1024 + 1), nom_fichier="x.csv", annee=2026)


@HASARD
@given(
    position=st.integers(min_value=0, max_value=10_000),
    octet=st.binary(min_size=1, max_size=3),
    quoi=st.sampled_from(list(IMPORTS)),
)
def test_un_fichier_valide_abime_en_un_point(session_avec_candidats, position, octet, quoi):
    """Un vrai fichier d'import, dans lequel on remplace quelques octets : import ou refus, jamais de plantage."""
    if quoi == "candidats":
        contenu = csv_bytes(ENTETE_CANDIDATS, *[ligne_candidat(f"B{i:03d}") for i in range(20)])
    else:
        contenu = csv_bytes(ENTETES["notes"], *lignes_notes("T0000001", ["12"] * 12))
    position %= len(contenu)
    verifier_refus_ou_import(quoi, contenu[:position] + octet + contenu[position + len(octet) :], "import.csv")


def test_apres_tant_de_hasard_un_import_valide_passe_toujours(session_avec_candidats):
    """Le témoin : le harnais n'empêche pas un import correct d'écrire."""
    bilan = importer_notes(
        contenu=csv_bytes(ENTETES["notes"], *lignes_notes("T0000001", ["12"] * 12)), nom_fichier="n.csv", annee=2026
    )
    assert bilan.crees == 12
    assert Note.objects.filter(candidat__numero="T0000001", valeur=Decimal(12)).count() == 12


# ---------------------------------------------------------------------------------------------------
# Bombe de décompression : un petit XLSX qui se déplie en millions de lignes
# ---------------------------------------------------------------------------------------------------

XML_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
RELATIONS = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def bombe_xlsx(lignes: int) -> bytes:
    """Un classeur valide : l'en-tête des notes puis `lignes` lignes identiques (≈ 1 000 fois plus grand dépli)."""
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", XML_TYPES)
        z.writestr(
            "_rels/.rels",
            f'{RELATIONS}<Relationship Id="rId1" Type="{REL_TYPE}officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{REL_TYPE[:-1]}"><sheets><sheet name="F" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{RELATIONS}<Relationship Id="rId1" Type="{REL_TYPE}worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w") as feuille:
            feuille.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
                + b"".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>'.encode() for c in COLONNES_NOTES).join(
                    [b"<row>", b"</row>"]
                )
            )
            ligne = b'<row><c t="inlineStr"><is><t>T0000001</t></is></c></row>' * 10_000
            for _ in range(lignes // 10_000):
                feuille.write(ligne)
            feuille.write(b"</sheetData></worksheet>")
    return tampon.getvalue()


def test_une_bombe_xlsx_est_refusee_sans_se_deplier(tmp_path):
    """La lecture a lieu dans un sous-processus limité dans le temps : un refus doit venir avant le dépliage."""
    chemin = tmp_path / "bombe.xlsx"
    chemin.write_bytes(bombe_xlsx(1_000_000))
    assert chemin.stat().st_size < 200_000
    code = (
        "import sys; from pathlib import Path; from agora.tableaux import lire, FichierInvalide\n"
        "try:\n"
        f"    lire(Path(sys.argv[1]).read_bytes(), 'bombe.xlsx', {COLONNES_NOTES!r})\n"
        "except FichierInvalide as e:\n"
        "    print('refus', e)\n"
    )
    racine = Path(__file__).resolve().parents[2]
    try:
        sortie = subprocess.run(
            [sys.executable, "-c", code, str(chemin)], cwd=racine, capture_output=True, text=True, timeout=6
        )
    except subprocess.TimeoutExpired:
        pytest.fail("plus de 6 s pour lire un fichier de moins de 200 Ko")
    assert sortie.stdout.startswith("refus"), sortie.stderr
