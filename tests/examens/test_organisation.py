"""Organisation du CCF : planificateur CP-SAT, passages, absences écrites par la porte des notes."""

import datetime

import pytest

from examens.journal_lisible import libelle_action
from examens.models import Journal, Note, Resultat
from examens.organisation import durees, services
from examens.organisation.models import Amenagement, Passage, Situation
from examens.organisation.planificateur import CandidatAPlacer, Demande, Indisponibilite, Occupation, planifier
from examens.services import OperationRefusee
from tests.examens.test_grilles import monde

pytestmark = pytest.mark.django_db

JEUDI = datetime.date(2026, 3, 12)
VENDREDI = datetime.date(2026, 3, 13)


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _se_chevauchent(a, b) -> bool:
    return a.jour == b.jour and a.debut < b.fin and b.debut < a.fin


# ---------------------------------------------------------------------------------------------------
# Durées et planificateur (sans base)
# ---------------------------------------------------------------------------------------------------


def test_les_durees_du_reglement_se_lisent_et_l_e31_ponctuel_compte_la_prise_en_main():
    assert durees.lire_duree("2 h 30") == 150
    assert durees.lire_duree("20 min (dont 5 minutes de préparation)") == 20
    assert durees.lire_duree("") is None
    assert durees.duree_epreuve("E31", "ponctuel", "45 min") == 60
    assert durees.duree_epreuve("E32", "ponctuel", "30 min") == 30
    assert durees.duree_epreuve("E31", "ccf") == 60
    assert durees.majorer(60, 33) == 80


def test_le_planificateur_ne_fait_jamais_sieger_la_commission_ou_une_salle_deux_fois_a_la_fois():
    candidats = [CandidatAPlacer(i, f"C{i}", 60) for i in range(6)]
    candidats.append(CandidatAPlacer(99, "AMÉNAGÉ", 80, salle="RDC", amenage=True))
    occupations = [Occupation("salle", "B12", JEUDI, 8 * 60, 10 * 60, "la salle B12 (E32)")]
    r = planifier(
        Demande(
            jours=[JEUDI, VENDREDI],
            debut=8 * 60,
            fin=17 * 60,
            candidats=candidats,
            salles=["B12"],
            occupations=occupations,
        )
    )
    assert r.trouve, r.explication
    assert len(r.creneaux) == 7
    for i, a in enumerate(r.creneaux):
        assert not (a.jour == JEUDI and a.salle == "B12" and a.debut < 10 * 60), "salle déjà prise"
        assert not (a.debut < 13 * 60 + 30 and a.fin > 12 * 60), "pendant le déjeuner"
        for b in r.creneaux[i + 1 :]:
            assert not _se_chevauchent(a, b), "la commission ne siège qu'à un passage à la fois"
            if a.jour == b.jour:
                assert a.fin + 5 <= b.debut or b.fin + 5 <= a.debut, "pause entre deux candidats"
    amenage = next(c for c in r.creneaux if c.cle == 99)
    assert (amenage.duree, amenage.salle) == (80, "RDC")


def test_deux_membres_pris_a_la_meme_heure_ailleurs_laissent_le_reste_de_la_journee():
    """Régression : deux occupations identiques (les deux membres à une autre commission) rendaient tout impossible."""
    occupations = [
        Occupation("membre", "1", JEUDI, 8 * 60, 10 * 60, "Prof (E2)"),
        Occupation("membre", "2", JEUDI, 8 * 60, 10 * 60, "Collègue (E2)"),
        Occupation("salle", "B12", JEUDI, 8 * 60, 10 * 60, "la salle B12 (E2)"),
        Occupation("salle", "B12", JEUDI, 9 * 60, 10 * 60, "la salle B12 (E32)"),
    ]
    r = planifier(
        Demande(
            jours=[JEUDI],
            debut=8 * 60,
            fin=17 * 60,
            candidats=[CandidatAPlacer(i, f"C{i}", 60) for i in range(3)],
            salles=["B12"],
            occupations=occupations,
        )
    )
    assert r.trouve, r.explication
    assert min(c.debut for c in r.creneaux) == 10 * 60


def test_le_planificateur_evite_la_pfmp_d_un_candidat():
    pfmp = (Indisponibilite(JEUDI, JEUDI, "PFMP"),)
    r = planifier(
        Demande(
            jours=[JEUDI, VENDREDI],
            debut=8 * 60,
            fin=12 * 60,
            candidats=[CandidatAPlacer(1, "A", 60, indisponibilites=pfmp), CandidatAPlacer(2, "B", 60)],
            salles=["B12"],
        )
    )
    assert r.trouve and next(c for c in r.creneaux if c.cle == 1).jour == VENDREDI


def test_sans_planning_possible_l_explication_est_en_francais_et_dit_quoi_faire():
    trop = planifier(
        Demande(
            jours=[JEUDI],
            debut=8 * 60,
            fin=12 * 60,
            candidats=[CandidatAPlacer(i, f"C{i}", 60) for i in range(5)],
            salles=["B12"],
        )
    )
    assert not trop.trouve
    assert "Il faut 5 h 25 de passages (pauses comprises) pour 5 candidats" in trop.explication
    assert "ajoutez une journée" in trop.explication

    pfmp = planifier(
        Demande(
            jours=[JEUDI],
            debut=8 * 60,
            fin=12 * 60,
            candidats=[
                CandidatAPlacer(1, "DURAND Léa", 60, indisponibilites=(Indisponibilite(JEUDI, VENDREDI, "PFMP"),))
            ],
            salles=["B12"],
        )
    )
    assert pfmp.explication == (
        "DURAND Léa est indisponible toutes les journées proposées (PFMP du 12/03/2026 au 13/03/2026) : "
        "ajoutez une autre journée."
    )

    occupe = planifier(
        Demande(
            jours=[JEUDI],
            debut=8 * 60,
            fin=10 * 60,
            dejeuner=None,
            candidats=[CandidatAPlacer(1, "A", 60)],
            salles=["B12"],
            occupations=[Occupation("membre", "7", JEUDI, 8 * 60, 9 * 60 + 30, "Mme Collègue (E32)")],
        )
    )
    assert "déjà pris ailleurs" in occupe.explication and "Mme Collègue (E32) le 12/03/2026" in occupe.explication


# ---------------------------------------------------------------------------------------------------
# Services : planifier une division, déplacer, marquer la présence
# ---------------------------------------------------------------------------------------------------


def parametres(**autres) -> services.Parametres:
    valeurs = dict(
        numero=1, jours=[JEUDI], debut=8 * 60, fin=17 * 60, dejeuner=(12 * 60, 13 * 60 + 30), pause=5, salles=["B12"]
    )
    valeurs.update(autres)
    return services.Parametres(**valeurs)


def planifier_e31(m):
    return services.planifier_division(
        commission=m.e31, division=m.comptes.division_a, parametres=parametres(), auteur=m.comptes.enseignant
    )


def test_un_candidat_amenage_a_un_passage_plus_long_et_sa_salle():
    m = monde()
    Amenagement.objects.create(
        candidat=m.candidat, temps_majore=33, salle="RDC accessible", decision=Amenagement.Decision.ACCORDEE
    )
    r = planifier_e31(m)
    assert r.trouve, r.explication
    passage = Passage.objects.select_related("situation").get(candidat=m.candidat)
    assert passage.duree == 80 and passage.situation.salle == "RDC accessible"
    assert "tiers-temps" in passage.amenagements
    autres = Passage.objects.exclude(candidat=m.candidat)
    assert autres.exists() and all(p.duree == 60 for p in autres)
    assert set(passage.situation.membres.all()) == set(m.e31.membres.all())


def test_un_amenagement_refuse_ne_change_rien():
    m = monde()
    Amenagement.objects.create(candidat=m.candidat, temps_majore=33, decision=Amenagement.Decision.REFUSEE)
    planifier_e31(m)
    assert Passage.objects.get(candidat=m.candidat).duree == 60


def test_deplacer_un_passage_sur_un_autre_refuse_le_conflit():
    m = monde()
    planifier_e31(m)
    a, b = list(Passage.objects.order_by("debut")[:2])
    with pytest.raises(OperationRefusee, match="Ce créneau est impossible : la commission"):
        services.deplacer_passage(passage=b, date=JEUDI, debut=a.debut, salle="B14", auteur=m.comptes.enseignant)
    deplace = services.deplacer_passage(
        passage=b, date=VENDREDI, debut=datetime.time(9, 0), salle="B14", auteur=m.comptes.enseignant
    )
    assert (deplace.situation.date, deplace.situation.salle) == (VENDREDI, "B14")


def test_une_absence_non_justifiee_ecrit_abs_par_la_porte_et_recalcule_le_resultat():
    m = monde()
    planifier_e31(m)
    passage = Passage.objects.get(candidat=m.candidat)
    avant = Resultat.objects.get(candidat=m.candidat).calcule_le
    services.marquer_presence(passage=passage, presence="absent_non_justifie", auteur=m.comptes.enseignant)
    note = Note.objects.get(candidat=m.candidat, unite="U31")
    assert (note.etat, note.origine) == (Note.Etat.ABS, Note.Origine.CCF)
    resultat = Resultat.objects.get(candidat=m.candidat)
    assert resultat.calcule_le > avant
    assert Journal.objects.filter(action="ccf.presence", candidat_numero=m.candidat.numero).exists()
    with pytest.raises(OperationRefusee, match="déjà marquée"):
        services.marquer_presence(passage=passage, presence="present", auteur=m.comptes.enseignant)


def test_une_absence_justifiee_ouvre_un_rattrapage_a_planifier_et_les_comptes_suivent():
    m = monde()
    planifier_e31(m)
    total = Passage.objects.count()
    passage = Passage.objects.get(candidat=m.candidat)
    with pytest.raises(OperationRefusee, match="justificatif"):
        services.marquer_presence(passage=passage, presence="absent_justifie", auteur=m.comptes.enseignant)
    services.marquer_presence(
        passage=passage, presence="absent_justifie", motif="certificat médical", auteur=m.comptes.enseignant
    )
    assert not Note.objects.filter(candidat=m.candidat, unite="U31").exists()
    rattrapage = Passage.objects.get(rattrapage_de=passage)
    assert rattrapage.situation.rattrapage and rattrapage.situation.date is None
    assert services.comptes(m.e31) == {"planifies": total - 1, "tenus": 0, "a_rattraper": 1, "absents": 1}


def test_une_session_verrouillee_refuse_la_presence():
    m = monde()
    planifier_e31(m)
    m.e31.session.verrouillee = True
    m.e31.session.save()
    with pytest.raises(OperationRefusee, match="verrouillée"):
        services.marquer_presence(
            passage=Passage.objects.get(candidat=m.candidat),
            presence="absent_non_justifie",
            auteur=m.comptes.enseignant,
        )
    assert not Note.objects.filter(candidat=m.candidat).exists()


def test_la_planification_evite_les_periodes_des_sources_inscrites(monkeypatch):
    from examens.organisation import indisponibilites
    from pfmp.indisponibilites import periodes_pfmp

    assert periodes_pfmp in indisponibilites.SOURCES, "pfmp/apps.py inscrit les périodes de PFMP"
    m = monde()

    def en_stage(ids, debut, fin):
        return {m.candidat.pk: [(JEUDI, JEUDI, "PFMP")]} if m.candidat.pk in ids else {}

    monkeypatch.setattr(indisponibilites, "SOURCES", [*indisponibilites.SOURCES, en_stage])
    r = services.planifier_division(
        commission=m.e31,
        division=m.comptes.division_a,
        parametres=parametres(jours=[JEUDI, VENDREDI]),
        auteur=m.comptes.enseignant,
    )
    assert r.trouve
    assert Passage.objects.get(candidat=m.candidat).situation.date == VENDREDI
    assert Situation.objects.filter(date=JEUDI).exists()


def _rattrapage_de(m, passage):
    services.marquer_presence(
        passage=passage, presence="absent_justifie", motif="certificat médical", auteur=m.comptes.enseignant
    )
    return Passage.objects.select_related("situation").get(rattrapage_de=passage)


def test_la_grille_suit_le_rattrapage_planifie_et_le_journalise():
    from examens.ccf import saisie
    from examens.models import Grille, HistoriqueGrille, ValidationGrille

    m = monde()
    planifier_e31(m)
    passage = Passage.objects.select_related("situation").get(candidat=m.candidat)
    # La grille a été commencée à la date de la situation manquée, et un membre l'avait déjà confirmée.
    saisie.enregistrer_champ(
        commission=m.e31,
        candidat=m.candidat,
        situation=1,
        version=0,
        champ="date_situation",
        valeur="12/03/2026",
        auteur=m.comptes.enseignant,
    )
    grille = Grille.objects.get(candidat=m.candidat, epreuve="E31", situation=1)
    ValidationGrille.objects.create(grille=grille, membre=m.collegue)
    rattrapage = _rattrapage_de(m, passage)
    assert Grille.objects.get(pk=grille.pk).date_situation == JEUDI, "l'absence seule ne change pas la grille"

    deplace = services.deplacer_passage(
        passage=rattrapage,
        date=datetime.date(2026, 3, 20),
        debut=datetime.time(9, 0),
        salle="B12",
        auteur=m.collegue,
    )
    assert deplace.grille_suivie == "La grille de MARTIN Léa prend la date du rattrapage (20/03/2026)."
    suivie = Grille.objects.get(pk=grille.pk)
    assert suivie.date_situation == datetime.date(2026, 3, 20)
    assert suivie.version == grille.version + 1
    assert not suivie.validations.exists(), "une modification annule les confirmations"
    trace = HistoriqueGrille.objects.get(grille=grille, objet="rattrapage planifié")
    assert (trace.avant, trace.apres, trace.auteur) == ("12/03/2026", "20/03/2026", m.collegue.username)
    assert HistoriqueGrille.objects.filter(grille=grille, action="confirmations").exists()
    journal = Journal.objects.get(action="ccf.grille.rattrapage", candidat_numero=m.candidat.numero)
    assert libelle_action(journal.action) == "Grille datée du rattrapage planifié"
    assert journal.avant == {"date_situation": "2026-03-12"}
    assert journal.apres["date_situation"] == "2026-03-20"

    # Déplacé encore, le rattrapage entraîne encore la grille ; une grille validée, elle, ne bouge plus.
    services.deplacer_passage(
        passage=rattrapage,
        date=datetime.date(2026, 3, 23),
        debut=datetime.time(9, 0),
        salle="B12",
        auteur=m.comptes.enseignant,
    )
    assert Grille.objects.get(pk=grille.pk).date_situation == datetime.date(2026, 3, 23)
    Grille.objects.filter(pk=grille.pk).update(etat=Grille.Etat.VALIDEE)
    deplace = services.deplacer_passage(
        passage=rattrapage,
        date=datetime.date(2026, 3, 24),
        debut=datetime.time(9, 0),
        salle="B12",
        auteur=m.comptes.enseignant,
    )
    assert "validée par la commission" in deplace.grille_suivie and "n'a pas suivi" in deplace.grille_suivie
    assert Grille.objects.get(pk=grille.pk).date_situation == datetime.date(2026, 3, 23)
    # Délibération verrouillée : la grille est figée, même en brouillon.
    Grille.objects.filter(pk=grille.pk).update(etat=Grille.Etat.BROUILLON)
    type(m.e31.session).objects.filter(pk=m.e31.session_id).update(verrouillee=True)
    deplace = services.deplacer_passage(
        passage=rattrapage,
        date=datetime.date(2026, 3, 25),
        debut=datetime.time(9, 0),
        salle="B12",
        auteur=m.comptes.enseignant,
    )
    assert "figée (la délibération de la session 2026 est verrouillée)" in deplace.grille_suivie
    assert Grille.objects.get(pk=grille.pk).date_situation == datetime.date(2026, 3, 23)


def test_un_passage_ordinaire_deplace_ou_un_rattrapage_sans_grille_ne_touche_a_aucune_grille():
    from examens.models import Grille

    m = monde()
    planifier_e31(m)
    autre = Passage.objects.exclude(candidat=m.candidat).first()
    deplace = services.deplacer_passage(
        passage=autre, date=VENDREDI, debut=datetime.time(9, 0), salle="B14", auteur=m.comptes.enseignant
    )
    assert deplace.grille_suivie == ""
    rattrapage = _rattrapage_de(m, Passage.objects.get(candidat=m.candidat))
    deplace = services.deplacer_passage(
        passage=rattrapage,
        date=datetime.date(2026, 3, 20),
        debut=datetime.time(9, 0),
        salle="B12",
        auteur=m.comptes.enseignant,
    )
    assert deplace.grille_suivie == "" and not Grille.objects.filter(candidat=m.candidat).exists()
