"""Grilles CCF sur la base réelle : gabarits, commissions, enregistrement champ par champ, circuit, notes."""

import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import DatabaseError, transaction

from agora.roles import ENSEIGNANT
from examens import services
from examens.ccf import circuit, gabarits, lectures, saisie
from examens.models import (
    Candidat,
    Commission,
    GabaritGrille,
    Grille,
    HistoriqueGrille,
    HistoriqueNote,
    Journal,
    MembreCommission,
    Note,
    Resultat,
)
from referentiel.chargement import VersionDifferente
from referentiel.models import Referentiel
from tests import fabriques

pytestmark = pytest.mark.django_db

ENS, PRO = MembreCommission.Qualite.ENSEIGNANT, MembreCommission.Qualite.PROFESSIONNEL


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    """Les mots de passe des comptes de test n'ont pas à résister à une attaque : MD5 pour la vitesse."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def enseignant(identifiant: str) -> User:
    """Un compte enseignant de plus (sans recréer les rôles : fabriques.comptes l'a fait)."""
    user = User.objects.create_user(identifiant, password=fabriques.MOT_DE_PASSE, first_name=identifiant.capitalize())
    user.groups.add(Group.objects.get(name=ENSEIGNANT))
    return user


@dataclass
class Monde:
    """La distribution des grilles : deux commissions de la division A et des candidats des trois colonnes."""

    comptes: fabriques.Comptes
    collegue: User  # second enseignant des commissions E31 et E2, sans division
    professionnel: User  # professionnel RH de la commission E32
    e31: Commission
    e32: Commission
    e2: Commission
    candidat: Candidat  # scolaire public : colonne 1, E31/E32 en CCF
    ponctuel: Candidat  # formation continue privée : colonne 2, E31/E32 ponctuels
    stagiaire: Candidat  # formation continue publique habilitée : colonne 3, E2 en CCF


def monde() -> Monde:
    c = fabriques.comptes()
    collegue, professionnel = enseignant("collegue"), enseignant("rh")
    actifs = gabarits.gabarits_actifs(Referentiel.objects.get(code="AGORA-2020"))

    def commission(epreuve, membres):
        return saisie.enregistrer_commission(
            gabarit=actifs[epreuve], divisions=[c.division_a], membres=membres, auteur=c.gestionnaire
        )

    return Monde(
        comptes=c,
        collegue=collegue,
        professionnel=professionnel,
        e31=commission("E31", [(c.enseignant, ENS), (collegue, ENS)]),
        e32=commission("E32", [(c.enseignant, ENS), (professionnel, PRO)]),
        e2=commission("E2", [(c.enseignant, ENS), (collegue, ENS)]),
        candidat=fabriques.candidat(division=c.division_a, nom="MARTIN"),
        ponctuel=fabriques.candidat(division=c.division_a, nom="PETIT", statut="fpc_prive"),
        stagiaire=fabriques.candidat(division=c.division_a, nom="ROUX", statut="fpc_public_habilite"),
    )


def remplir(commission, candidat, auteur, niveaux, situation=1, **champs) -> Grille:
    """Remplit une grille comme la page : un changement à la fois, avec la version courante."""
    lignes = list(commission.gabarit.lignes.order_by("ordre"))
    if isinstance(niveaux, str):
        niveaux = [niveaux] * len(lignes)
    version = getattr(
        Grille.objects.filter(candidat=candidat, epreuve=commission.gabarit.epreuve, situation=situation).first(),
        "version",
        0,
    )
    changements = [("niveau", str(ligne.pk), n) for ligne, n in zip(lignes, niveaux, strict=False)]
    changements += [(champ, "", valeur) for champ, valeur in champs.items()]
    grille = None
    for champ, cle, valeur in changements:
        enr = saisie.enregistrer_champ(
            commission=commission,
            candidat=candidat,
            situation=situation,
            version=version,
            champ=champ,
            valeur=valeur,
            cle=cle,
            auteur=auteur,
        )
        grille, version = enr.grille, enr.grille.version
    return grille


def valider(m: Monde, grille: Grille, commission=None) -> Grille:
    for membre in (commission or m.e31).membres.all():
        grille = circuit.confirmer_grille(grille=grille, version=grille.version, membre=membre)
    return grille


def grille_e31_complete(m: Monde, niveau="S", **champs) -> Grille:
    return remplir(m.e31, m.candidat, m.comptes.enseignant, niveau, date_situation="2026-03-12", **champs)


# ---------------------------------------------------------------------------------------------------
# Gabarits
# ---------------------------------------------------------------------------------------------------


def test_le_gabarit_a_une_ligne_par_competence_du_bloc_de_l_epreuve():
    actifs = gabarits.gabarits_actifs(Referentiel.objects.get(code="AGORA-2020"))
    for epreuve, bloc, nombre in (("E31", "B1", 12), ("E32", "B3", 12), ("E2", "B2", 13)):
        lignes = list(actifs[epreuve].lignes.select_related("competence__bloc").order_by("ordre"))
        assert len(lignes) == nombre
        assert {ligne.competence.bloc.code for ligne in lignes} == {bloc}
        assert [ligne.competence.ordre for ligne in lignes] == list(range(1, nombre + 1))
    assert actifs["E2"].situations == 2 and actifs["E2"].formes == ["ccf"]


def test_charger_les_gabarits_est_idempotent():
    premiers = gabarits.charger_gabarits()
    seconds = gabarits.charger_gabarits()
    assert len(seconds) == 5 and not any(cree for _, cree in seconds)
    assert {g.pk for g, _ in premiers} == {g.pk for g, _ in seconds}


def _copie(tmp_path, nom="E31-AGORA-2020-v1.json", **changements):
    donnees = json.loads((gabarits.DOSSIER / nom).read_text(encoding="utf-8"))
    donnees.update(changements)
    chemin = tmp_path / nom.replace("v1", f"v{donnees['version']}")
    chemin.write_text(json.dumps(donnees, ensure_ascii=False), encoding="utf-8")
    return chemin


def test_un_fichier_modifie_sous_la_meme_version_est_refuse(tmp_path):
    gabarits.charger_gabarits()
    with pytest.raises(VersionDifferente, match="nouveau numéro de version"):
        gabarits.charger_gabarit(_copie(tmp_path, arrondi="centieme"))


def test_une_nouvelle_echelle_se_charge_sans_code_et_ne_touche_pas_les_grilles_commencees(tmp_path):
    m = monde()
    ancienne = remplir(m.e31, m.candidat, m.comptes.enseignant, "S")
    assert ancienne.note_suggeree == Decimal("13.50")  # 20 × 24 / 36 = 13,33 → 13,5
    echelle = [
        {"code": "NA", "libelle": "Non acquis", "points": 0, "touche": "1"},
        {"code": "EC", "libelle": "En cours d'acquisition", "points": 1, "touche": "2"},
        {"code": "A", "libelle": "Acquis", "points": 2, "touche": "3"},
        {"code": "NE", "libelle": "Non évalué", "points": None, "touche": "0"},
    ]
    # La règle de couverture se configure aussi par gabarit : ici aucune exigence, pour l'arithmétique de l'échelle.
    sans_couverture = {"par_activite": 0, "part_minimale": "0"}
    v2, cree = gabarits.charger_gabarit(
        _copie(tmp_path, version=3, echelle=echelle, arrondi="centieme", couverture=sans_couverture)
    )
    assert cree and gabarits.gabarits_actifs(v2.referentiel)["E31"] == v2
    nouvelle = saisie.enregistrer_commission(
        gabarit=v2,
        divisions=[m.comptes.division_a],
        membres=[(m.collegue, ENS), (m.professionnel, ENS)],
        auteur=m.comptes.gestionnaire,
    )
    autre = fabriques.candidat(division=m.comptes.division_c)
    nouvelle.divisions.set([m.comptes.division_c])
    grille = remplir(nouvelle, autre, m.collegue, ["A", "EC", "EC"] + ["NE"] * 9)
    assert grille.gabarit == v2 and grille.note_suggeree == Decimal("13.33")  # 20 × 4 / 6
    ancienne.refresh_from_db()
    assert ancienne.gabarit.version == 2 and ancienne.note_suggeree == Decimal("13.50")


# ---------------------------------------------------------------------------------------------------
# Commissions et visibilité
# ---------------------------------------------------------------------------------------------------


def test_la_composition_est_controlee_par_le_gabarit():
    m = monde()
    gabarit = m.e31.gabarit
    with pytest.raises(services.OperationRefusee, match="deux enseignants"):
        saisie.enregistrer_commission(
            gabarit=gabarit,
            divisions=[m.comptes.division_a],
            membres=[(m.comptes.enseignant, ENS), (m.professionnel, PRO)],
            auteur=m.comptes.gestionnaire,
        )
    with pytest.raises(services.OperationRefusee, match="même établissement"):
        saisie.enregistrer_commission(
            gabarit=gabarit,
            divisions=[m.comptes.division_a, m.comptes.division_c],
            membres=[(m.comptes.enseignant, ENS), (m.collegue, ENS)],
            auteur=m.comptes.gestionnaire,
        )
    assert Journal.objects.filter(action="commission.creation").count() == 3


def test_un_membre_de_commission_voit_les_candidats_de_ses_divisions():
    m = monde()
    assert m.candidat in Candidat.objects.visibles_par(m.collegue)  # sans division, par la commission
    assert m.candidat not in Candidat.objects.visibles_par(m.comptes.enseignant_autre)
    assert list(Commission.objects.visibles_par(m.comptes.enseignant_autre)) == []
    assert set(Commission.objects.visibles_par(m.professionnel)) == {m.e32}
    assert set(Commission.objects.visibles_par(m.comptes.gestionnaire)) == {m.e31, m.e32, m.e2}
    assert list(Commission.objects.visibles_par(m.comptes.gestionnaire_autre)) == []


def test_la_forme_de_la_grille_vient_de_la_categorie_du_candidat():
    m = monde()
    formes = lectures.formes_par_statut(m.e31)
    assert formes["scolaire_public"].forme == "ccf"
    assert formes["fpc_prive"].forme == "ponctuel" and formes["fpc_prive"].modalite.duree == "45 min"
    assert set(lectures.candidats_de_commission(m.e31)) == {m.candidat, m.ponctuel, m.stagiaire}
    # E2 n'est en CCF que pour la colonne 3.
    assert list(lectures.candidats_de_commission(m.e2)) == [m.stagiaire]


# ---------------------------------------------------------------------------------------------------
# Enregistrement champ par champ
# ---------------------------------------------------------------------------------------------------


def test_chaque_changement_incremente_la_version_et_laisse_une_trace():
    m = monde()
    ligne = m.e31.gabarit.lignes.get(ordre=3)
    enr = saisie.enregistrer_champ(
        commission=m.e31,
        candidat=m.candidat,
        situation=1,
        version=0,
        champ="niveau",
        valeur="TS",
        cle=str(ligne.pk),
        auteur=m.comptes.enseignant,
    )
    # Une seule compétence évaluée : pas de note suggérée tant que la couverture du bloc n'est pas atteinte.
    assert enr.modifie and enr.grille.version == 1 and enr.grille.note_suggeree is None
    assert enr.calcul.a_completer[-1] == "7 compétences de plus à évaluer (8 sur 12 au moins)"
    assert enr.grille.forme == "ccf" and enr.grille.etat == "brouillon"
    h = HistoriqueGrille.objects.get(grille=enr.grille)
    assert (h.auteur, h.action, h.objet, h.avant, h.apres) == ("prof", "niveau", "compétence 3", "", "TS")
    meme = saisie.enregistrer_champ(
        commission=m.e31,
        candidat=m.candidat,
        situation=1,
        version=1,
        champ="niveau",
        valeur="TS",
        cle=str(ligne.pk),
        auteur=m.comptes.enseignant,
    )
    assert not meme.modifie and meme.grille.version == 1
    assert HistoriqueGrille.objects.count() == 1


def test_une_version_perimee_est_refusee_sans_rien_ecrire():
    m = monde()
    grille = remplir(m.e31, m.candidat, m.comptes.enseignant, ["S", "S"])
    assert grille.version == 2
    with pytest.raises(saisie.ConflitVersion, match="Prof a modifié cette grille"):
        saisie.enregistrer_champ(
            commission=m.e31,
            candidat=m.candidat,
            situation=1,
            version=1,
            champ="appreciation",
            valeur="écrase",
            auteur=m.collegue,
        )
    grille.refresh_from_db()
    assert grille.version == 2 and grille.appreciation == ""


@pytest.mark.parametrize(
    "champ, valeur, cle, message",
    [
        ("niveau", "XX", "ligne", "Niveau inconnu"),
        ("niveau", "S", "999999", "Compétence inconnue"),
        ("note_proposee", "21", "", "entre 0 et 20"),
        ("note_proposee", "NV", "", "justificatifs manquants"),
        ("date_situation", "31/02/2026", "", "date non reconnue"),
        ("date_situation", "2019-05-01", "", "entre 2023 et 2026"),
        ("piece", "1", "inconnue", "Pièce inconnue"),
        ("dossier_non_produit", "1", "", "épreuve ponctuelle"),
        ("appreciation", "x" * 5001, "", "trop long"),
        ("inconnu", "1", "", "Champ inconnu"),
    ],
)
def test_une_saisie_invalide_est_refusee_a_cote_du_champ(champ, valeur, cle, message):
    m = monde()
    if cle == "ligne":
        cle = str(m.e31.gabarit.lignes.first().pk)
    with pytest.raises(saisie.SaisieInvalide, match=message) as e:
        saisie.enregistrer_champ(
            commission=m.e31,
            candidat=m.candidat,
            situation=1,
            version=0,
            champ=champ,
            valeur=valeur,
            cle=cle,
            auteur=m.comptes.enseignant,
        )
    assert e.value.champ == champ


def test_la_note_proposee_accepte_la_virgule_decimale():
    m = monde()
    grille = grille_e31_complete(m, note_proposee="14,5")
    assert grille.note_proposee == Decimal("14.5") and grille.note_suggeree == Decimal("13.50")
    assert lectures.texte_retenu(grille) == "14,50"


def test_seuls_les_membres_et_l_administrateur_remplissent_la_grille():
    m = monde()
    for intrus in (m.comptes.gestionnaire, m.professionnel):  # le professionnel est membre de E32, pas de E31
        with pytest.raises(saisie.NonAutorise):
            remplir(m.e31, m.candidat, intrus, ["S"])
    assert remplir(m.e31, m.candidat, m.comptes.administrateur, ["S"]).version == 1


def test_une_session_verrouillee_fige_la_grille():
    m = monde()
    remplir(m.e31, m.candidat, m.comptes.enseignant, ["S"])
    services.verrouiller(session=m.candidat.session, auteur=m.comptes.administrateur)
    m.e31.session.refresh_from_db()
    with pytest.raises(saisie.NonAutorise, match="verrouillée"):
        remplir(m.e31, m.candidat, m.comptes.enseignant, ["TS"])


def test_les_cases_du_ponctuel_s_excluent():
    m = monde()
    grille = remplir(m.e31, m.ponctuel, m.comptes.enseignant, [], dossier_non_produit="1")
    assert grille.forme == "ponctuel" and grille.dossier_non_produit
    with pytest.raises(saisie.SaisieInvalide, match="s'excluent"):
        remplir(m.e31, m.ponctuel, m.comptes.enseignant, [], justificatifs_manquants="1")


# ---------------------------------------------------------------------------------------------------
# Circuit : brouillon → validée → transmise → arrêtée
# ---------------------------------------------------------------------------------------------------


def test_une_grille_incomplete_ne_peut_pas_etre_confirmee():
    m = monde()
    grille = remplir(m.e31, m.candidat, m.comptes.enseignant, ["S"] * 10)
    with pytest.raises(saisie.GrilleIncomplete) as e:
        circuit.confirmer_grille(grille=grille, version=grille.version, membre=m.comptes.enseignant)
    assert dict(e.value.erreurs) == {
        "date_situation": "Indiquez la date de la situation d'évaluation.",
        "lignes": "2 compétences sans niveau : choisissez un niveau ou « non évalué ».",
    }


def test_une_note_differente_de_la_suggestion_demande_une_justification():
    m = monde()
    grille = grille_e31_complete(m, note_proposee="15")
    with pytest.raises(saisie.GrilleIncomplete, match="justifiez l'écart"):
        circuit.confirmer_grille(grille=grille, version=grille.version, membre=m.comptes.enseignant)
    grille = remplir(m.e31, m.candidat, m.comptes.enseignant, [], justification="Oral très convaincant.")
    assert circuit.confirmer_grille(grille=grille, version=grille.version, membre=m.comptes.enseignant)


def test_chaque_membre_confirme_avec_son_compte_et_toute_modification_annule_les_confirmations():
    m = monde()
    grille = grille_e31_complete(m)
    grille = circuit.confirmer_grille(grille=grille, version=grille.version, membre=m.comptes.enseignant)
    assert grille.etat == "brouillon" and grille.validations.count() == 1
    with pytest.raises(saisie.NonAutorise, match="déjà confirmé"):
        circuit.confirmer_grille(grille=grille, version=grille.version, membre=m.comptes.enseignant)
    with pytest.raises(saisie.NonAutorise, match="chacun avec son compte"):
        circuit.confirmer_grille(grille=grille, version=grille.version, membre=m.comptes.gestionnaire)
    enr = saisie.enregistrer_champ(
        commission=m.e31,
        candidat=m.candidat,
        situation=1,
        version=grille.version,
        champ="appreciation",
        valeur="Complément.",
        auteur=m.collegue,
    )
    assert enr.confirmations_annulees and enr.grille.validations.count() == 0
    grille = valider(m, enr.grille)
    assert grille.etat == "validee"
    assert set(Journal.objects.filter(action__startswith="grille.").values_list("action", flat=True)) == {
        "grille.confirmation",
        "grille.validation",
    }
    with pytest.raises(saisie.NonAutorise, match="validée"):
        remplir(m.e31, m.candidat, m.comptes.enseignant, ["TS"])
    grille = circuit.rouvrir_grille(grille=grille, version=grille.version, auteur=m.collegue)
    assert grille.etat == "brouillon" and grille.validations.count() == 0


def test_transmettre_ecrit_la_note_ccf_de_l_unite_et_fige_la_grille():
    m = monde()
    grille = valider(m, grille_e31_complete(m, niveau="TS"))
    grille = circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.comptes.enseignant)
    assert grille.etat == "transmise" and grille.note_commission == Decimal(20)
    note = Note.objects.get(candidat=m.candidat, unite="U31")
    assert (note.etat, note.valeur, note.origine) == ("note", Decimal(20), "ccf")
    h = HistoriqueNote.objects.get(candidat=m.candidat, unite="U31")
    assert (h.avant, h.apres, h.source, h.auteur) == ("", "20,00", "ccf", m.comptes.enseignant)
    j = Journal.objects.get(action="grille.transmission")
    assert j.apres == {"etat": "transmise", "note": "20,00", "unite": "U31 : 20,00"}
    with pytest.raises(saisie.NonAutorise, match="transmise au jury"):
        remplir(m.e31, m.candidat, m.comptes.enseignant, ["S"])


def test_la_note_proposee_arrive_a_la_deliberation():
    m = monde()
    for unite in ("U11", "U12", "U2", "U32", "U33", "U41", "U42", "U51", "U52", "U6", "U7"):
        Note.objects.create(candidat=m.candidat, unite=unite, valeur=Decimal(10))
    services.deliberer(session=m.candidat.session)
    assert Resultat.objects.get(candidat=m.candidat).decision == "incomplet"
    grille = valider(m, grille_e31_complete(m, niveau="TS"))
    circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.comptes.enseignant)
    services.deliberer(session=m.candidat.session)
    r = Resultat.objects.get(candidat=m.candidat)
    assert (r.decision, r.points) == ("admis", Decimal("290.000"))  # 21 × 10 + 4 × 20 = 290 → 11,60


def test_ponctuel_dossier_non_produit_vaut_zero_et_justificatifs_manquants_non_valide():
    m = monde()
    grille = remplir(m.e31, m.ponctuel, m.comptes.enseignant, [], dossier_non_produit="1", date_situation="2026-05-20")
    grille = valider(m, grille)
    circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.comptes.enseignant)
    assert Note.objects.get(candidat=m.ponctuel, unite="U31").valeur == Decimal(0)

    grille = remplir(
        m.e32, m.ponctuel, m.comptes.enseignant, [], justificatifs_manquants="1", date_situation="2026-05-21"
    )
    grille = valider(m, grille, m.e32)
    circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.professionnel)
    note = Note.objects.get(candidat=m.ponctuel, unite="U32")
    assert (note.etat, note.valeur, note.origine) == ("NV", None, "ccf")


def _e2(m: Monde, situation: int, activites: set[str], niveau="TS", date="2026-02-01") -> Grille:
    lignes = m.e2.gabarit.lignes.select_related("competence__activite").order_by("ordre")
    niveaux = [niveau if ligne.competence.activite.code in activites else "NE" for ligne in lignes]
    grille = remplir(m.e2, m.stagiaire, m.comptes.enseignant, niveaux, situation=situation, date_situation=date)
    return valider(m, grille, m.e2)


def test_e2_la_note_de_l_unite_est_la_moyenne_des_deux_situations():
    m = monde()
    s1 = _e2(m, 1, {"2.1", "2.2"}, "S")
    circuit.transmettre_grille(grille=s1, version=s1.version, auteur=m.comptes.enseignant)
    assert s1.note_suggeree == Decimal("13.50") and not Note.objects.filter(candidat=m.stagiaire).exists()
    s2 = _e2(m, 2, {"2.3"}, "TS")
    circuit.transmettre_grille(grille=s2, version=s2.version, auteur=m.comptes.enseignant)
    note = Note.objects.get(candidat=m.stagiaire, unite="U2")
    assert (note.valeur, note.origine) == (Decimal("16.750"), "ccf")  # (13,5 + 20) / 2


def test_e2_les_deux_situations_doivent_couvrir_les_trois_sous_blocs():
    m = monde()
    s1 = _e2(m, 1, {"2.1"})
    circuit.transmettre_grille(grille=s1, version=s1.version, auteur=m.comptes.enseignant)
    s2 = _e2(m, 2, {"2.2"})
    with pytest.raises(services.OperationRefusee, match="2.3 n'est évaluée dans aucune situation"):
        circuit.transmettre_grille(grille=s2, version=s2.version, auteur=m.comptes.enseignant)
    assert Grille.objects.get(pk=s2.pk).etat == "validee"


def test_le_jury_arrete_la_note_avec_un_motif_s_il_la_change():
    m = monde()
    grille = valider(m, grille_e31_complete(m))
    grille = circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.comptes.enseignant)
    with pytest.raises(saisie.NonAutorise):
        circuit.arreter_grille(grille=grille, note="15", motif="x", auteur=m.comptes.enseignant)
    with pytest.raises(services.OperationRefusee, match="motif est obligatoire"):
        circuit.arreter_grille(grille=grille, note="15", motif=" ", auteur=m.comptes.academie)
    grille = circuit.arreter_grille(grille=grille, note="15", motif="Harmonisation.", auteur=m.comptes.academie)
    assert (grille.etat, grille.note_jury, grille.note_commission) == ("arretee", Decimal(15), Decimal("13.50"))
    note = Note.objects.get(candidat=m.candidat, unite="U31")
    assert (note.valeur, note.origine) == (Decimal(15), "jury")
    h = HistoriqueNote.objects.filter(candidat=m.candidat, unite="U31").latest("id")
    assert (h.avant, h.apres, h.source, h.motif) == ("13,50", "15,00", "jury", "Harmonisation.")


def test_le_jury_peut_arreter_la_note_proposee_sans_motif():
    m = monde()
    grille = valider(m, grille_e31_complete(m))
    grille = circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.comptes.enseignant)
    grille = circuit.arreter_grille(grille=grille, note="", motif="", auteur=m.comptes.academie)
    assert grille.etat == "arretee" and Note.objects.get(candidat=m.candidat, unite="U31").origine == "ccf"


def test_une_grille_renvoyee_a_la_commission_sort_de_la_deliberation():
    m = monde()
    grille = valider(m, grille_e31_complete(m))
    grille = circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.comptes.enseignant)
    with pytest.raises(services.OperationRefusee, match="motif"):
        circuit.renvoyer_grille(grille=grille, motif="", auteur=m.comptes.gestionnaire)
    grille = circuit.renvoyer_grille(grille=grille, motif="Date erronée.", auteur=m.comptes.gestionnaire)
    assert grille.etat == "brouillon" and grille.validations.count() == 0
    assert not Note.objects.filter(candidat=m.candidat, unite="U31").exists()
    assert HistoriqueNote.objects.filter(candidat=m.candidat, unite="U31").latest("id").apres == ""


def test_l_historique_des_grilles_ne_se_modifie_pas():
    m = monde()
    remplir(m.e31, m.candidat, m.comptes.enseignant, ["S"])
    with pytest.raises(DatabaseError, match="ajout seul"), transaction.atomic():
        HistoriqueGrille.objects.update(apres="falsifié")


def test_les_gabarits_sont_proteges_tant_que_des_commissions_les_utilisent():
    m = monde()
    with pytest.raises(DatabaseError), transaction.atomic():
        GabaritGrille.objects.filter(pk=m.e31.gabarit_id).delete()


def test_la_demo_compose_les_commissions_et_des_grilles_et_se_recharge_sans_rien_refaire():
    from demo.donnees_examens import charger_demo

    charger_demo()
    charger_demo()
    assert sorted(Commission.objects.values_list("gabarit__epreuve", flat=True)) == ["E2", "E31", "E32"]
    assert Grille.objects.filter(etat="transmise").count() == 3  # une E31, les deux situations de E2
    assert Note.objects.get(candidat__numero="026000061", unite="U2").origine == "ccf"
    assert Note.objects.get(candidat__numero="026000001", unite="U31").origine == "ccf"
    assert User.objects.filter(username__in=["enseignant3", "professionnel"]).count() == 2
