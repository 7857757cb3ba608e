"""Le référentiel chargé en base : effectifs, texte mot pour mot de l'arrêté, chargement idempotent et versionné.

Les effectifs se vérifient toujours, depuis la base ; la comparaison avec le texte de l'arrêté est sautée
si la graine (shared/seed/…) est absente.
"""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count

from referentiel import selectors
from referentiel.chargement import DOSSIER, VersionDifferente, charger_referentiel
from referentiel.models import Activite, Bloc, Competence, Indicateur, Pole, Referentiel, Savoir, Tache, Unite
from tests.referentiel.test_fixture_referentiel import RECOLLEMENTS_ATTENDUS, normaliser

pytestmark = pytest.mark.django_db

FIXTURE = DOSSIER / "AGORA-2020.json"
SEED = Path(settings.BASE_DIR).parent / "shared/seed/000_97fdca0b0722b213.txt"

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
MODELES = [Referentiel, Pole, Activite, Tache, Bloc, Competence, Indicateur, Savoir, Unite, Unite.blocs.through]


@pytest.fixture
def ref():
    return Referentiel.objects.get(code="AGORA-2020")


def charger(chemin: Path):
    """Le chargement tel que l'exploitation le lance ; les règlements (app examens) ne sont pas en jeu ici."""
    call_command("charger_referentiel", str(chemin), reglements=[], verbosity=0)


def copie_de_la_fixture(tmp_path: Path, **changements) -> Path:
    donnees = json.loads(FIXTURE.read_text(encoding="utf-8"))
    donnees.update(changements)
    chemin = tmp_path / f"{donnees['code']}.json"
    chemin.write_text(json.dumps(donnees, ensure_ascii=False, indent=2), encoding="utf-8")
    return chemin


def vidage() -> dict:
    """Toutes les lignes de toutes les tables du référentiel, identifiants compris."""
    return {m._meta.db_table: list(m.objects.order_by("pk").values()) for m in MODELES}


def document_attendu(donnees: dict) -> dict:
    """Le document d'export construit directement depuis le fichier de chargement (format plus riche)."""
    activites = {a["code"]: a for p in donnees["poles"] for a in p["activites"]}
    return {
        "code": donnees["code"],
        "intitule": donnees["intitule"],
        "poles": [
            {
                "numero": p["numero"],
                "intitule": p["intitule"],
                "activites": [
                    {k: a[k] for k in ("code", "intitule", "taches", "competences", "indicateurs")}
                    for a in p["activites"]
                ],
            }
            for p in donnees["poles"]
        ],
        "blocs": [
            {
                "code": b["code"],
                "intitule": b["intitule"],
                "type": b["type"],
                # Les compétences d'un bloc professionnel sont celles de ses activités, dans l'ordre de l'arrêté.
                "competences": b["competences"]
                + [c for code in b["activites"] for c in activites[code]["competences"]],
                "unites": b["unites"],
            }
            for b in donnees["blocs"]
        ],
        "unites": [{"code": u["code"], "intitule": u["intitule"]} for u in donnees["unites"]],
    }


# ---------------------------------------------------------------- effectifs (toujours, depuis la base)


def test_effectifs_des_poles_activites_taches_competences_indicateurs(ref):
    assert Pole.objects.filter(referentiel=ref).count() == 3
    activites = Activite.objects.filter(pole__referentiel=ref)
    assert list(activites.values_list("code", flat=True)) == [
        "1.1",
        "1.2",
        "1.3",
        "2.1",
        "2.2",
        "2.3",
        "3.1",
        "3.2",
        "3.3",
    ]
    assert Tache.objects.filter(activite__pole__referentiel=ref).count() == 33
    assert Indicateur.objects.filter(activite__pole__referentiel=ref).count() == 56
    professionnelles = Competence.objects.filter(bloc__referentiel=ref, bloc__type=Bloc.Type.PROFESSIONNEL)
    assert professionnelles.count() == 37
    # Chaque compétence professionnelle est rattachée à une activité de son bloc, et à elle seule.
    assert not professionnelles.filter(activite__isnull=True).exists()
    assert all(c.activite.bloc_id == c.bloc_id for c in professionnelles.select_related("activite"))
    assert (
        not Competence.objects.filter(bloc__referentiel=ref)
        .exclude(bloc__type="professionnel")
        .filter(activite__isnull=False)
    )
    par_activite = activites.annotate(
        nt=Count("taches", distinct=True),
        nc=Count("competences", distinct=True),
        ni=Count("indicateurs", distinct=True),
    )
    assert [(a.nt, a.nc, a.ni) for a in par_activite] == [
        (4, 4, 8),
        (4, 4, 7),
        (4, 4, 4),
        (4, 5, 6),
        (3, 6, 7),
        (5, 2, 4),
        (3, 3, 6),
        (3, 5, 8),
        (3, 4, 6),
    ]


def test_effectifs_des_blocs_unites_et_savoirs(ref):
    blocs = {b.code: b for b in Bloc.objects.filter(referentiel=ref).annotate(nc=Count("competences"))}
    assert len(blocs) == 15
    assert {code: blocs[code].nc for code in COMPETENCES_GENERALES} == COMPETENCES_GENERALES
    assert {code: b.type for code, b in blocs.items() if b.type != "general"} == {
        "B1": "professionnel",
        "B2": "professionnel",
        "B3": "professionnel",
        "FAC-LV": "facultatif",
        "FAC-MOBILITE": "facultatif",
        "FAC-EPS": "facultatif",
    }
    assert [blocs[c].nc for c in ("B1", "B2", "B3")] == [12, 13, 12]
    savoirs = Savoir.objects.filter(bloc__referentiel=ref).values_list("bloc__code").annotate(n=Count("pk"))
    assert dict(savoirs) == {"B1": 14, "B2": 15, "B3": 13}
    unites = Unite.objects.filter(referentiel=ref)
    assert unites.count() == 14
    assert list(unites.values_list("code", flat=True)) == [
        "U11",
        "U12",
        "U2",
        "U31",
        "U32",
        "U33",
        "U41",
        "U42",
        "U51",
        "U52",
        "U6",
        "U7",
        "UF1",
        "UF2",
    ]
    assert [u.code for u in blocs["B1"].unites.all()] == ["U31"]
    assert [u.code for u in blocs["B2"].unites.all()] == ["U2"]
    assert [u.code for u in blocs["B3"].unites.all()] == ["U32"]
    assert all([u.code for u in blocs[c].unites.order_by("ordre")] == ["UF1", "UF2"] for c in ("FAC-LV", "FAC-EPS"))
    # Toute unité certifie au moins un bloc.
    assert not unites.filter(blocs__isnull=True).exists()


# ---------------------------------------------------------------- texte de l'arrêté


@pytest.fixture(scope="module")
def arrete():
    if not SEED.is_file():
        pytest.skip(f"texte de l'arrêté absent : {SEED}")
    return normaliser(SEED.read_text(encoding="utf-8"))


def dans_l_arrete(texte: str, arrete: str) -> bool:
    if texte in arrete:
        return True
    # Cellules coupées par un saut de page au milieu d'un tableau (voir test_fixture_referentiel).
    return any(texte.startswith(debut) for debut in RECOLLEMENTS_ATTENDUS) and any(
        texte[:i] in arrete and texte[i + 1 :] in arrete for i, c in enumerate(texte) if c == " "
    )


def dans_l_ordre(textes: list[str], arrete: str) -> bool:
    """Les textes se lisent dans cet ordre quelque part dans l'arrêté (sous-suite, recherche gloutonne)."""
    position = 0
    for texte in textes:
        morceau = texte
        if texte not in arrete and any(texte.startswith(debut) for debut in RECOLLEMENTS_ATTENDUS):
            # Cellule coupée par un saut de page : sa plus longue première partie présente fixe la position.
            morceau = next(texte[:i] for i in range(len(texte) - 1, 0, -1) if texte[i] == " " and texte[:i] in arrete)
        position = arrete.find(morceau, position)
        if position < 0:
            return False
        position += len(morceau)
    return True


def test_chaque_texte_en_base_est_celui_de_l_arrete(ref, arrete):
    textes = [ref.intitule]
    textes += Pole.objects.filter(referentiel=ref).values_list("intitule", flat=True)
    textes += Activite.objects.filter(pole__referentiel=ref).values_list("intitule", flat=True)
    textes += Tache.objects.filter(activite__pole__referentiel=ref).values_list("intitule", flat=True)
    textes += Indicateur.objects.filter(activite__pole__referentiel=ref).values_list("intitule", flat=True)
    textes += Bloc.objects.filter(referentiel=ref).values_list("intitule", flat=True)
    textes += Competence.objects.filter(bloc__referentiel=ref).values_list("intitule", flat=True)
    textes += Savoir.objects.filter(bloc__referentiel=ref).values_list("intitule", flat=True)
    textes += Savoir.objects.filter(bloc__referentiel=ref).values_list("famille", flat=True)
    textes += Unite.objects.filter(referentiel=ref).values_list("intitule", flat=True)
    assert len(textes) == 1 + 3 + 9 + 33 + 56 + 15 + 37 + sum(COMPETENCES_GENERALES.values()) + 42 * 2 + 14
    assert [t for t in textes if not dans_l_arrete(t, arrete)] == []


def test_les_listes_suivent_l_ordre_de_l_arrete(ref, arrete):
    for p in selectors.poles_complets(ref):
        for a in p.activites.all():
            for liste in (a.taches.all(), a.competences.all(), a.indicateurs.all()):
                assert dans_l_ordre([x.intitule for x in liste], arrete), a.code
    for b in selectors.blocs_complets(ref):
        assert dans_l_ordre([c.intitule for c in b.competences.all()], arrete), b.code
        assert dans_l_ordre([s.intitule for s in b.savoirs.all()], arrete), b.code


# ---------------------------------------------------------------- export et aller-retour


def test_l_export_redonne_le_fichier_charge(ref):
    donnees = json.loads(FIXTURE.read_text(encoding="utf-8"))
    document = selectors.document(ref)
    assert list(document) == ["code", "intitule", "poles", "blocs", "unites"]
    assert document == document_attendu(donnees)
    # Le format est celui annoncé, jusqu'à l'ordre des clés.
    activite = document["poles"][0]["activites"][0]
    assert list(activite) == ["code", "intitule", "taches", "competences", "indicateurs"]
    assert list(document["blocs"][0]) == ["code", "intitule", "type", "competences", "unites"]
    assert list(document["unites"][0]) == ["code", "intitule"]


def test_une_deuxieme_version_se_charge_a_cote_de_la_premiere(ref, tmp_path):
    avant = vidage()
    charger(copie_de_la_fixture(tmp_path, code="AGORA-TEST"))

    test = Referentiel.objects.get(code="AGORA-TEST")
    assert Referentiel.objects.count() == 2
    # La première version n'a pas bougé d'une ligne.
    apres = vidage()
    for table, lignes in avant.items():
        assert [ligne for ligne in apres[table] if ligne in lignes] == lignes, table
    # La nouvelle est complète et s'exporte comme la première, au code près.
    assert (
        Competence.objects.filter(bloc__referentiel=test).count()
        == Competence.objects.filter(bloc__referentiel=ref).count()
    )
    assert selectors.document(test) == {**selectors.document(ref), "code": "AGORA-TEST"}
    assert not Activite.objects.filter(pole__referentiel=test, bloc__referentiel=ref).exists()
    assert not Unite.blocs.through.objects.filter(unite__referentiel=test, bloc__referentiel=ref).exists()


def test_charger_deux_fois_ne_change_rien(ref, tmp_path):
    avant = vidage()
    charger(FIXTURE)
    call_command("charger_referentiel", reglements=[], verbosity=0)
    assert vidage() == avant
    # Une deuxième version aussi, rechargée, reste telle quelle.
    copie = copie_de_la_fixture(tmp_path, code="AGORA-TEST")
    charger(copie)
    avec_test = vidage()
    charger(copie)
    assert vidage() == avec_test


def test_un_fichier_modifie_sous_un_code_existant_est_refuse(ref, tmp_path):
    donnees = json.loads(FIXTURE.read_text(encoding="utf-8"))
    donnees["poles"][1]["activites"][1]["competences"][3] = "Déterminer la TVA à la main"
    modifie = tmp_path / "AGORA-2020.json"
    modifie.write_text(json.dumps(donnees, ensure_ascii=False), encoding="utf-8")
    avant = vidage()

    with pytest.raises(VersionDifferente, match="nouveau code de version"):
        charger_referentiel(modifie)
    with pytest.raises(CommandError, match="AGORA-2020"):
        charger(modifie)
    assert vidage() == avant
