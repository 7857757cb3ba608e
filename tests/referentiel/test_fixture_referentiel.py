"""Contrôle de la fixture du référentiel Bac Pro AGOrA (arrêté du 18 février 2020).

Test autonome (aucun import Django) : charge le JSON, vérifie la structure,
les effectifs, et que chaque chaîne figure mot pour mot dans le texte source
(après normalisation des blancs, suppression des balises HTML et des
marqueurs de liste « - »).
"""

import json
import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
FIXTURE = HERE.parents[2] / "fixtures/referentiel/AGORA-2020.json"
SEED = HERE.parents[3] / "shared/seed/000_97fdca0b0722b213.txt"

CLES_RACINE = ["code", "intitule", "arrete", "premiere_session", "poles", "blocs", "unites"]
CLES_POLE = ["numero", "intitule", "description", "resultats_attendus", "activites"]
CLES_ACTIVITE = [
    "code",
    "intitule",
    "taches",
    "conditions_exercice",
    "resultats_attendus",
    "competences",
    "indicateurs",
]
CLES_BLOC = [
    "code",
    "intitule",
    "type",
    "activites",
    "conditions_exercice",
    "competences",
    "niveau",
    "savoirs",
    "unites",
]
CLES_SAVOIR = ["famille", "intitule", "indications"]
CLES_UNITE = ["code", "intitule", "epreuve"]

ORDRE_BLOCS = [
    "B1",
    "B2",
    "B3",
    "ECODROIT",
    "MATHS",
    "PSE",
    "LV1",
    "LV2",
    "FRANCAIS",
    "HGEMC",
    "ARTS",
    "EPS",
    "FAC-LV",
    "FAC-MOBILITE",
    "FAC-EPS",
]
ORDRE_UNITES = ["U11", "U12", "U2", "U31", "U32", "U33", "U41", "U42", "U51", "U52", "U6", "U7", "UF1", "UF2"]

# Nombre de compétences attendu pour les blocs généraux et facultatifs
COMPETENCES_GENERALES = {
    "ECODROIT": 2,
    "MATHS": 5,
    "PSE": 5,
    "LV1": 3,
    "LV2": 3,
    "FRANCAIS": 4,
    "HGEMC": 4,
    "ARTS": 3,
    "EPS": 5,
    "FAC-LV": 3,
    "FAC-MOBILITE": 4,
    "FAC-EPS": 5,
}
SAVOIRS_PAR_BLOC = {"B1": 14, "B2": 15, "B3": 13}


def normaliser(texte: str) -> str:
    """Supprime les balises HTML et les « - » de tête d'élément de liste,
    puis réduit toute suite de blancs à une espace."""
    texte = re.sub(r"<li>\s*-\s", " ", texte)
    texte = re.sub(r"<[^>]+>", " ", texte)
    texte = re.sub(r"(?m)^[ \t]*-[ \t]", " ", texte)
    return re.sub(r"\s+", " ", texte).strip()


@pytest.fixture(scope="module")
def data():
    with FIXTURE.open(encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def source():
    if not SEED.is_file():
        pytest.skip(f"texte source absent : {SEED}")
    return normaliser(SEED.read_text(encoding="utf-8"))


def activites(data):
    return [a for p in data["poles"] for a in p["activites"]]


# ---------------------------------------------------------------- structure


def test_structure(data):
    assert list(data) == CLES_RACINE
    assert data["code"] == "AGORA-2020"
    assert data["arrete"] == "2020-02-18"
    assert data["premiere_session"] == 2023
    for p in data["poles"]:
        assert list(p) == CLES_POLE
        for a in p["activites"]:
            assert list(a) == CLES_ACTIVITE
    for b in data["blocs"]:
        assert list(b) == CLES_BLOC
        for s in b["savoirs"]:
            assert list(s) == CLES_SAVOIR
    for u in data["unites"]:
        assert list(u) == CLES_UNITE


def test_ordre_et_codes(data):
    assert [p["numero"] for p in data["poles"]] == [1, 2, 3]
    assert [a["code"] for a in activites(data)] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3"]
    assert [b["code"] for b in data["blocs"]] == ORDRE_BLOCS
    assert [u["code"] for u in data["unites"]] == ORDRE_UNITES
    assert [u["epreuve"] for u in data["unites"]] == [
        "E11",
        "E12",
        "E2",
        "E31",
        "E32",
        "E33",
        "E41",
        "E42",
        "E51",
        "E52",
        "E6",
        "E7",
        "EF1",
        "EF2",
    ]
    blocs = {b["code"]: b for b in data["blocs"]}
    assert blocs["B1"]["unites"] == ["U31"]
    assert blocs["B2"]["unites"] == ["U2"]
    assert blocs["B3"]["unites"] == ["U32"]
    for n in (1, 2, 3):
        assert blocs[f"B{n}"]["activites"] == [f"{n}.1", f"{n}.2", f"{n}.3"]
    codes_unites = {u["code"] for u in data["unites"]}
    for b in data["blocs"]:
        assert set(b["unites"]) <= codes_unites
        assert b["type"] in ("professionnel", "general", "facultatif")
        if b["type"] == "facultatif":
            assert b["unites"] == ["UF1", "UF2"]


# ---------------------------------------------------------------- effectifs


def test_effectifs_poles_activites(data):
    acts = activites(data)
    assert len(data["poles"]) == 3
    assert len(acts) == 9
    assert [len(p["activites"]) for p in data["poles"]] == [3, 3, 3]
    assert sum(len(a["taches"]) for a in acts) == 33
    assert [len(a["taches"]) for a in acts] == [4, 4, 4, 4, 3, 5, 3, 3, 3]
    assert sum(len(a["competences"]) for a in acts) == 37
    assert [len(a["competences"]) for a in acts] == [4, 4, 4, 5, 6, 2, 3, 5, 4]
    assert sum(len(a["indicateurs"]) for a in acts) == 56
    assert [len(a["indicateurs"]) for a in acts] == [8, 7, 4, 6, 7, 4, 6, 8, 6]
    assert [len(p["resultats_attendus"]) for p in data["poles"]] == [3, 6, 7]
    assert all(a["resultats_attendus"] == [] for a in acts)


def test_effectifs_blocs(data):
    blocs = {b["code"]: b for b in data["blocs"]}
    for code, n in SAVOIRS_PAR_BLOC.items():
        assert len(blocs[code]["savoirs"]) == n, code
        assert blocs[code]["competences"] == []
        assert blocs[code]["type"] == "professionnel"
        assert blocs[code]["conditions_exercice"]
    for code, n in COMPETENCES_GENERALES.items():
        assert len(blocs[code]["competences"]) == n, code
        assert blocs[code]["savoirs"] == []
    assert (
        blocs["LV1"]["niveau"]
        == blocs["LV2"]["niveau"]
        == blocs["FAC-LV"]["niveau"]
        == "Compétences de niveau B1+ du CECRL"
    )


def test_indications_sur_premier_savoir_de_famille(data):
    for b in data["blocs"][:3]:
        vues = set()
        for s in b["savoirs"]:
            if s["famille"] in vues:
                assert s["indications"] == "", (b["code"], s["intitule"])
            else:
                assert s["indications"], (b["code"], s["intitule"])
                vues.add(s["famille"])
        assert len(vues) == 3


def test_aucune_chaine_vide_ni_marqueur(data):
    for chaine in _chaines_listes(data):
        assert chaine and chaine == chaine.strip()
        assert not chaine.startswith("- ")
        assert "<" not in chaine and "\t" not in chaine


# ---------------------------------------------------------------- verbatim


def _chaines_listes(data):
    """Éléments unitaires (titres, éléments de listes)."""
    yield data["intitule"]
    for p in data["poles"]:
        yield p["intitule"]
        yield from p["resultats_attendus"]
        for a in p["activites"]:
            yield a["intitule"]
            yield from a["taches"]
            yield from a["resultats_attendus"]
            yield from a["competences"]
            yield from a["indicateurs"]
    for b in data["blocs"]:
        yield b["intitule"]
        yield from b["competences"]
        if b["niveau"]:
            yield b["niveau"]
        for s in b["savoirs"]:
            yield s["famille"]
            yield s["intitule"]
    for u in data["unites"]:
        yield u["intitule"]


def _segments_textes(data):
    """Textes longs : découpés en paragraphes (\\n\\n) et lignes (\\n),
    marqueur « - » de liste retiré."""
    textes = []
    for p in data["poles"]:
        textes.append(p["description"])
        for a in p["activites"]:
            textes.append(a["conditions_exercice"])
    for b in data["blocs"]:
        textes.append(b["conditions_exercice"])
        for s in b["savoirs"]:
            textes.append(s["indications"])
    for texte in textes:
        for ligne in texte.split("\n"):
            ligne = ligne.strip()
            if ligne.startswith("- "):
                ligne = ligne[2:]
            if ligne:
                yield ligne


# Chaînes dont le texte source est coupé par un saut de page AU MILIEU d'un
# tableau à deux colonnes : la fin de la cellule se trouve sur la ligne de
# tableau suivante, après le contenu de la cellule voisine. Elles ne sont donc
# pas contiguës dans la source ; on vérifie qu'elles se décomposent en
# exactement deux morceaux (séparés par une espace) présents mot pour mot.
RECOLLEMENTS_ATTENDUS = {
    # Bloc 2, indications « Savoirs de gestion » : « (physique et en » | « valeur) »
    "L'approvisionnement concerne les achats de biens et de services",
    # Bloc 3, savoir de communication : « présentation des » | « documents »
    "Les normes et usages internes de présentation des documents",
    # Bloc 3, indications de communication : « des chartes, » | « des normes »
    "Ces savoirs intègrent, dans le respect des chartes, des normes",
}


def _verifier(chaines, source):
    manquantes, recollees = [], set()
    for chaine in chaines:
        chaine = re.sub(r"\s+", " ", chaine)
        if chaine in source:
            continue
        coupures = [i for i, c in enumerate(chaine) if c == " " and chaine[:i] in source and chaine[i + 1 :] in source]
        if coupures:
            recollees.add(
                next(a for a in RECOLLEMENTS_ATTENDUS if chaine.startswith(a))
                if any(chaine.startswith(a) for a in RECOLLEMENTS_ATTENDUS)
                else chaine
            )
        else:
            manquantes.append(chaine)
    return manquantes, recollees


def test_chaines_verbatim(data, source):
    manquantes, recollees = _verifier(_chaines_listes(data), source)
    assert manquantes == []
    assert recollees <= RECOLLEMENTS_ATTENDUS


def test_textes_verbatim(data, source):
    manquants, recolles = _verifier(_segments_textes(data), source)
    assert manquants == []
    assert recolles <= RECOLLEMENTS_ATTENDUS


def test_recollements_tous_utilises(data, source):
    _, r1 = _verifier(_chaines_listes(data), source)
    _, r2 = _verifier(_segments_textes(data), source)
    assert r1 | r2 == RECOLLEMENTS_ATTENDUS
