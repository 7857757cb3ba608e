"""generer_donnees : une session synthétique complète (candidats, notes, grilles CCF, PFMP), délibérable."""

import io
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from examens import services
from examens.ccf import notation
from examens.models import Candidat, Commission, EvaluationCompetence, Grille, Journal, Note, Session
from pfmp.models import Periode
from tests import fabriques

pytestmark = pytest.mark.django_db


def generer(annee=2035, candidats=150) -> str:
    sortie = io.StringIO()
    call_command("generer_donnees", session=annee, candidats=candidats, remplacer=True, stdout=sortie)
    return sortie.getvalue()


def test_la_session_generee_est_complete_coherente_et_se_delibere():
    sortie = generer()
    session = Session.objects.get(annee=2035)
    candidats = Candidat.objects.filter(session=session)
    assert candidats.count() == 150 and candidats.values("statut").distinct().count() >= 5
    assert "grilles" in sortie and "150/150" in sortie  # barres de progression
    etats = set(Note.objects.filter(candidat__session=session).values_list("etat", flat=True))
    assert {"note", "DIS"} <= etats

    # Grilles : une commission par épreuve et par établissement, de composition admise, et des grilles remplies.
    for c in Commission.objects.filter(session=session).select_related("gabarit"):
        assert notation.composition_admise(
            c.membres_commission.values_list("qualite", flat=True), c.gabarit.compositions
        )
    grilles_session = Grille.objects.filter(candidat__session=session).select_related("gabarit")
    par_etat = defaultdict(int)
    for g in grilles_session:
        par_etat[g.etat] += 1
    assert par_etat["transmise"] > par_etat["validee"] > 0 and par_etat["brouillon"] > 0
    lignes = {g.pk: g.lignes.count() for g in {g.gabarit for g in grilles_session}}
    remplies = defaultdict(int)
    for grille_id in EvaluationCompetence.objects.filter(grille__in=grilles_session).values_list("grille", flat=True):
        remplies[grille_id] += 1
    for g in grilles_session:
        if g.etat != "brouillon":
            assert remplies[g.pk] == lignes[g.gabarit_id], g
            assert g.note_suggeree is not None and (g.note_proposee is None or g.justification)

    # Une grille transmise porte la note de l'unité, passée à l'origine CCF (E2 : moyenne des deux situations).
    unites = {"E2": "U2", "E31": "U31", "E32": "U32"}
    transmises = defaultdict(list)
    for g in grilles_session.filter(etat="transmise"):
        transmises[(g.candidat_id, unites[g.epreuve])].append(g.note_commission)
    assert transmises
    notes = {
        (n.candidat_id, n.unite): n for n in Note.objects.filter(candidat__session=session, unite__in=unites.values())
    }
    for cle, valeurs in transmises.items():
        note = notes[cle]
        if cle[1] != "U2" or len(valeurs) == 2:
            assert note.origine == "ccf" and note.valeur == notation.moyenne_situations(valeurs), cle

    # PFMP : des périodes pour les candidats qui en doivent.
    assert Periode.objects.filter(convention__candidat__session=session).exists()

    deliberation = services.deliberer(session=session)
    # La génération calcule déjà les résultats : le recalcul complet n'en change aucun.
    assert len(deliberation) == 150 and deliberation.changes == 0
    assert set(deliberation.par_decision) & {"admis", "controle", "ajourne"}


def test_regenerer_remplace_la_session_a_l_identique():
    generer(candidats=60)
    avant = (Grille.objects.count(), EvaluationCompetence.objects.count(), Note.objects.count())
    generer(candidats=60)
    assert (Grille.objects.count(), EvaluationCompetence.objects.count(), Note.objects.count()) == avant


# ---------------------------------------------------------------------------------------------------
# --remplacer respecte les verrous et les vraies sessions
# ---------------------------------------------------------------------------------------------------


def declencheurs_actifs() -> dict:
    with connection.cursor() as curseur:
        curseur.execute(
            "SELECT tgname, tgenabled FROM pg_trigger "
            "WHERE tgname IN ('note_session_ouverte', 'historiquenote_immuable')"
        )
        return dict(curseur.fetchall())


def test_remplacer_refuse_une_session_generee_puis_verrouillee():
    generer(candidats=20)
    Session.objects.filter(annee=2035).update(verrouillee=True)
    avant = Note.objects.count()
    with pytest.raises(CommandError, match="La session 2035 est verrouillée : generer_donnees ne la supprime pas"):
        generer(candidats=20)
    assert Note.objects.count() == avant and Session.objects.get(annee=2035).verrouillee
    assert not Journal.objects.filter(action="donnees.suppression").exists()
    assert declencheurs_actifs() == {"note_session_ouverte": "O", "historiquenote_immuable": "O"}


def test_remplacer_refuse_une_vraie_session(comptes):
    """Une session qui n'a pas été générée (ici, celle des comptes de test) n'est jamais supprimée."""
    vraie = fabriques.candidat(division=fabriques.division("TAGO1", sess=fabriques.session(2035)))
    with pytest.raises(CommandError, match="n'a pas été créée par generer_donnees"):
        generer(candidats=20)
    assert Candidat.objects.filter(pk=vraie.pk).exists()
    # Une session générée, supprimée, puis recréée pour de vrai sous la même année : la marque ne la suit pas.
    Session.objects.filter(annee=2035).delete()
    generer(candidats=20)
    Grille.objects.filter(candidat__session__annee=2035).delete()
    Session.objects.filter(annee=2035).delete()
    fabriques.candidat(division=fabriques.division("TAGO1", sess=fabriques.session(2035)))
    with pytest.raises(CommandError, match="n'a pas été créée par generer_donnees"):
        generer(candidats=20)


def test_remplacer_journalise_la_suppression():
    generer(candidats=20)
    ancienne = Session.objects.get(annee=2035)
    generer(candidats=20)
    entree = Journal.objects.get(action="donnees.suppression", session_annee=2035)
    assert entree.avant == {"session_id": ancienne.pk, "candidats": 20, "notes": entree.avant["notes"]}
    assert entree.avant["notes"] >= 20 * 12
    assert Journal.objects.filter(action="donnees.generation", session_annee=2035).count() == 2


def test_une_suppression_interrompue_ne_laisse_aucun_declencheur_desactive(monkeypatch):
    """Arrêt au milieu de la suppression : la transaction annule tout, désactivation des gardes comprise."""
    generer(candidats=20)
    avant = Note.objects.count()

    def panne(self, *args, **kwargs):
        raise KeyboardInterrupt("arrêt au milieu de la suppression")

    monkeypatch.setattr(Session, "delete", panne)
    with pytest.raises(KeyboardInterrupt):
        generer(candidats=20)
    assert declencheurs_actifs() == {"note_session_ouverte": "O", "historiquenote_immuable": "O"}
    assert Note.objects.count() == avant
