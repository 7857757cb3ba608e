"""Échéances de saisie sur la base réelle : la porte des notes et les grilles les respectent, les réouvertures
nommées rouvrent jusqu'à leur fin, les propositions passent par la division des examens."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from examens import services
from examens.ccf import circuit, lectures, saisie
from examens.echeances import services as echeances
from examens.models import (
    Echeance,
    Etablissement,
    HistoriqueNote,
    Journal,
    Note,
    PropositionNote,
    Reouverture,
    Resultat,
)
from tests import fabriques
from tests.examens.test_grilles import grille_e31_complete, monde, remplir

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def academie() -> User:
    """L'agent de la division des examens (rôle gestionnaire académique) d'une académie qui couvre tous les
    établissements déjà créés : il peut fixer une échéance pour « tous les établissements »."""
    from examens.models import Academie

    user = fabriques.utilisateur("academie", fabriques.ACADEMIE)
    a = Academie.objects.get_or_create(code="SIEC", defaults={"nom": "Île-de-France (SIEC)"})[0]
    a.gestionnaires.add(user)
    Etablissement.objects.update(academie=a)
    return User.objects.get(pk=user.pk)  # sans cache de permissions


def fixer(auteur, session, *, unite="", nature="", etablissement=None, dans=-1) -> Echeance:
    """Une échéance dont la date est à `dans` heures d'ici (négatif : déjà passée)."""
    return echeances.enregistrer_echeance(
        session=session,
        donnees={
            "unite": unite,
            "nature": nature,
            "etablissement": etablissement,
            "fermee_le": timezone.now() + datetime.timedelta(hours=dans),
        },
        auteur=auteur,
    )


def rouvrir(
    auteur, session, beneficiaires, *, unite="U31", etablissement=None, proposition=False, heures=2, candidat=None
):
    return echeances.enregistrer_reouverture(
        session=session,
        donnees={
            "unite": unite,
            "nature": "",
            "etablissement": etablissement,
            "candidat": candidat,
            "beneficiaires": beneficiaires,
            "fin": timezone.now() + datetime.timedelta(hours=heures),
            "motif": "Commission reportée (enseignant malade)",
            "proposition_seulement": proposition,
        },
        auteur=auteur,
    )


def test_la_porte_refuse_le_gestionnaire_apres_l_echeance_avec_un_message_clair():
    c = fabriques.comptes()
    a = academie()
    candidat = fabriques.candidat(division=c.division_a)
    services.saisir_note(candidat=candidat, unite="U31", texte="12", auteur=c.gestionnaire)
    fixer(a, candidat.session, unite="U31", etablissement=c.division_a.etablissement)
    with pytest.raises(echeances.SaisieClose) as refus:
        services.saisir_note(candidat=candidat, unite="U31", texte="14", auteur=c.gestionnaire)
    assert "Saisie de U31 close depuis le " in str(refus.value)
    assert "pour Lycée Jean Jaurès ; demandez une réouverture à la division des examens." in str(refus.value)
    assert Note.objects.get(candidat=candidat, unite="U31").affichage == "12,00"
    # Les autres unités restent ouvertes ; la division des examens et le jury écrivent encore.
    services.saisir_note(candidat=candidat, unite="U32", texte="11", auteur=c.gestionnaire)
    services.saisir_note(candidat=candidat, unite="U31", texte="13", auteur=a)
    services.saisir_note(candidat=candidat, unite="U31", texte="15", auteur=c.administrateur, source="jury")
    assert Note.objects.get(candidat=candidat, unite="U31").affichage == "15,00"


def test_avant_l_echeance_la_saisie_reste_ouverte_et_l_import_est_refuse_apres():
    c = fabriques.comptes()
    a = academie()
    candidat = fabriques.candidat(division=c.division_a)
    echeance = fixer(a, candidat.session, nature="ccf", dans=2)
    services.saisir_note(candidat=candidat, unite="U31", texte="12", auteur=c.gestionnaire)
    echeances.enregistrer_echeance(
        session=candidat.session,
        donnees={"unite": "", "nature": "ccf", "etablissement": None, "fermee_le": timezone.now()},
        auteur=a,
        echeance=echeance,
    )
    saisie = services.SaisieNote(candidat=candidat, unite="U31", etat="note", valeur=10)
    with pytest.raises(echeances.SaisieClose):
        services.ecrire_notes(saisies=[saisie], auteur=c.gestionnaire, source="import")
    services.ecrire_notes(saisies=[saisie], auteur=None, source="import")  # le système
    assert [j.action for j in Journal.objects.filter(action__startswith="echeance.").order_by("id")] == [
        "echeance.creation",
        "echeance.modification",
    ]


def test_seule_la_division_des_examens_fixe_une_echeance():
    c = fabriques.comptes()
    with pytest.raises(services.OperationRefusee):
        fixer(c.gestionnaire, fabriques.session(), unite="U31")
    assert not Echeance.objects.exists()


def test_une_reouverture_laisse_l_enseignant_nomme_modifier_une_grille_jusqu_a_sa_fin():
    m = monde()
    a = academie()
    grille = grille_e31_complete(m)
    fixer(a, m.candidat.session, unite="U31")
    # Après l'échéance : la grille est figée pour les deux membres, avec la raison.
    d = lectures.droits(
        m.comptes.enseignant,
        session=m.e31.session,
        etablissement_id=m.e31.etablissement_id,
        commission_id=m.e31.pk,
        grille=grille,
    )
    assert not d.modifier and "Saisie de U31 close depuis le" in d.raison
    with pytest.raises(saisie.NonAutorise, match="Saisie de U31 close"):
        remplir(m.e31, m.candidat, m.comptes.enseignant, ["TS"])
    r = rouvrir(
        a, m.candidat.session, [m.comptes.enseignant], etablissement=m.candidat.etablissement, candidat=m.candidat
    )
    grille = remplir(m.e31, m.candidat, m.comptes.enseignant, ["TS"])
    assert grille.evaluations.filter(niveau="TS").exists()
    with pytest.raises(saisie.NonAutorise, match="Saisie de U31 close"):
        remplir(m.e31, m.candidat, m.collegue, ["I"])  # l'autre membre n'est pas nommé
    with pytest.raises(saisie.NonAutorise):
        remplir(m.e31, m.ponctuel, m.comptes.enseignant, ["S"])  # un autre candidat
    Reouverture.objects.filter(pk=r.pk).update(fin=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(saisie.NonAutorise, match="Saisie de U31 close"):
        remplir(m.e31, m.candidat, m.comptes.enseignant, ["I"])
    assert Journal.objects.filter(action="reouverture.creation", motif__startswith="Commission reportée").exists()


def test_une_grille_validee_ne_peut_plus_etre_transmise_apres_l_echeance():
    m = monde()
    a = academie()
    grille = grille_e31_complete(m)
    for membre in (m.comptes.enseignant, m.collegue):
        grille = circuit.confirmer_grille(grille=grille, version=grille.version, membre=membre)
    fixer(a, m.candidat.session, nature="ccf")
    with pytest.raises(saisie.NonAutorise):
        circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.comptes.enseignant)
    # Réouverture « proposition seulement » : la commission peut rouvrir et remplir, la transmission reste à la
    # division des examens, qui valide ainsi la proposition.
    rouvrir(a, m.candidat.session, [m.comptes.enseignant, m.collegue], proposition=True)
    d = lectures.droits(
        m.comptes.enseignant,
        session=m.e31.session,
        etablissement_id=m.e31.etablissement_id,
        commission_id=m.e31.pk,
        grille=grille,
    )
    assert d.rouvrir and not d.transmettre and "ne permet qu'une proposition" in d.echeance
    circuit.transmettre_grille(grille=grille, version=grille.version, auteur=a)
    assert Note.objects.get(candidat=m.candidat, unite="U31").origine == Note.Origine.CCF


def test_une_proposition_validee_passe_par_la_porte_et_recalcule_le_resultat():
    c = fabriques.comptes()
    a = academie()
    candidat = fabriques.candidat(division=c.division_a)
    fixer(a, candidat.session, dans=-1)  # toutes les unités
    rouvrir(a, candidat.session, [c.gestionnaire], unite="U2", proposition=True)
    proposition = services.saisir_note(candidat=candidat, unite="U2", texte="14,5", auteur=c.gestionnaire)
    assert isinstance(proposition, PropositionNote) and proposition.etat == PropositionNote.Etat.EN_ATTENTE
    assert not Note.objects.filter(candidat=candidat, unite="U2").exists()
    with pytest.raises(echeances.SaisieClose):  # la réouverture ne vise que U2
        services.saisir_note(candidat=candidat, unite="U31", texte="10", auteur=c.gestionnaire)
    with pytest.raises(services.OperationRefusee, match="division des examens"):
        echeances.valider_proposition(proposition=proposition, auteur=c.gestionnaire)
    avant = Resultat.objects.get(candidat=candidat).empreinte
    echeances.valider_proposition(proposition=proposition, auteur=a)
    note = Note.objects.get(candidat=candidat, unite="U2")
    assert note.affichage == "14,50"
    assert HistoriqueNote.objects.get(candidat=candidat, unite="U2").source == "proposition validée"
    assert Resultat.objects.get(candidat=candidat).empreinte != avant
    with pytest.raises(services.OperationRefusee, match="déjà validée"):
        echeances.valider_proposition(proposition=proposition, auteur=a)


def test_une_proposition_refusee_ne_change_rien_et_le_motif_est_obligatoire():
    c = fabriques.comptes()
    a = academie()
    candidat = fabriques.candidat(division=c.division_a)
    fixer(a, candidat.session)
    rouvrir(a, candidat.session, [c.gestionnaire], unite="U2", proposition=True)
    proposition = services.saisir_note(candidat=candidat, unite="U2", texte="9", auteur=c.gestionnaire)
    with pytest.raises(services.OperationRefusee, match="motif"):
        echeances.refuser_proposition(proposition=proposition, auteur=a, motif=" ")
    echeances.refuser_proposition(proposition=proposition, auteur=a, motif="Copie déjà corrigée")
    assert PropositionNote.objects.get().etat == PropositionNote.Etat.REFUSEE
    assert not Note.objects.filter(candidat=candidat, unite="U2").exists()
    assert list(
        Journal.objects.filter(action__startswith="proposition.").order_by("id").values_list("action", flat=True)
    ) == [
        "proposition.creation",
        "proposition.refus",
    ]


def test_l_import_numerote_les_lignes_closes_des_l_apercu_et_n_ecrit_rien():
    from examens.imports import ImportRefuse, importer_notes
    from tests.examens.outils import csv_bytes

    c = fabriques.comptes()
    a = academie()
    candidat = fabriques.candidat(division=c.division_a, numero="N0001")
    fixer(a, candidat.session, unite="U31")
    contenu = csv_bytes("numero_candidat;unite;note", "N0001;U32;12", "N0001;U31;13")
    for apercu in (True, False):
        with pytest.raises(ImportRefuse) as refus:
            importer_notes(contenu=contenu, nom_fichier="n.csv", annee=2026, auteur=c.gestionnaire, apercu=apercu)
        [erreur] = refus.value.erreurs
        assert erreur.ligne == 3 and "Saisie de U31 close depuis le" in erreur.message
    assert not Note.objects.filter(candidat=candidat).exists()
    importer_notes(contenu=contenu, nom_fichier="n.csv", annee=2026, auteur=c.administrateur)
    assert Note.objects.filter(candidat=candidat).count() == 2
