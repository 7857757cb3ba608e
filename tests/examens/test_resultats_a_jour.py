"""Des résultats toujours vrais : chaque porte d'écriture recalcule dans sa transaction, le verrou et les documents
vérifient, et la même saisie reçoit le même verdict par toutes les portes (issue « Results that are always true »).
"""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from examens import imports, resultats, services
from examens.ccf import circuit, saisie
from examens.documents import emission, impression
from examens.models import Candidat, Note, Resultat
from tests import fabriques
from tests.examens.outils import UNITES, csv_bytes
from tests.examens.test_grilles import grille_e31_complete, monde, remplir, valider

pytestmark = pytest.mark.django_db


def noter(candidat, valeur="12", **par_unite):
    saisies = [
        services.SaisieNote(candidat=candidat, unite=u, etat="note", valeur=Decimal(par_unite.get(u, valeur)))
        for u in UNITES
    ]
    services.ecrire_notes(saisies=saisies, source="test")


def resultat(candidat) -> Resultat:
    return Resultat.objects.get(candidat=candidat)


def a_jour(session) -> bool:
    a_ecrire, _ = resultats.differences(session)
    return not a_ecrire


# ---------------------------------------------------------------------------------------------------
# Chaque porte recalcule dans sa transaction
# ---------------------------------------------------------------------------------------------------


def test_un_candidat_a_un_resultat_des_qu_il_existe():
    c = fabriques.candidat()
    assert resultat(c).decision == "incomplet" and resultat(c).empreinte


def test_la_saisie_au_tableau_recalcule_aussitot(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter(c, "12")
    assert (resultat(c).decision, resultat(c).moyenne) == ("admis", Decimal("12.00"))
    # Scénario de l'issue : délibérer, changer U11 au tableau, puis lire le résultat sans « Calculer ».
    reponse = comptes.client(comptes.gestionnaire).post(f"/examens/candidats/{c.pk}/notes/U11/", {"note": "4,5"})
    assert reponse.status_code == 200
    r = resultat(c)
    # 12 × 25 = 300 ; U11 (coef. 1) passe de 12 à 4,5 : 292,5 / 25 = 11,70
    assert (r.points, r.moyenne, r.decision) == (Decimal("292.500"), Decimal("11.70"), "admis")
    assert a_jour(c.session)


def test_une_note_du_jury_change_la_decision_affichee_sur_la_fiche(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter(c, "10")
    client = comptes.client(comptes.academie)
    client.post(f"/examens/candidats/{c.pk}/jury/note/", {"unite": "U2", "note": "ABS", "motif": "absent", "groupe": 1})
    page = client.get(f"/examens/candidats/{c.pk}/").content.decode()
    assert "Non délivrable" in page and resultat(c).decision == "non_delivrable"


def test_lever_un_blocage_pfmp_met_la_fiche_a_jour(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter(c, "12")
    services.definir_blocage(candidat=c, source="pfmp", motif="justificatifs PFMP manquants")
    assert resultat(c).decision == "non_delivrable"
    services.definir_blocage(candidat=c, source="pfmp", motif=None)
    assert resultat(c).decision == "admis"
    assert (
        "Non délivrable" not in comptes.client(comptes.gestionnaire).get(f"/examens/candidats/{c.pk}/").content.decode()
    )


def test_l_import_de_notes_recalcule_les_candidats_importes():
    c = fabriques.candidat(numero="A001")
    noter(c, "12")
    imports.importer_notes(
        contenu=csv_bytes("numero_candidat;unite;note", "A001;U2;2"), nom_fichier="n.csv", annee=2026
    )
    # 300 − 4 × 10 = 260 → 10,40
    assert resultat(c).moyenne == Decimal("10.40") and a_jour(c.session)


def test_points_du_jury_options_et_controle_recalculent(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter(c, "9")
    assert resultat(c).decision == "ajourne"  # moyenne professionnelle 9 < 10 : pas de contrôle
    services.attribuer_points_jury(candidat=c, points=Decimal(25), motif="jury souverain", auteur=comptes.gestionnaire)
    assert resultat(c).decision == "admis"  # (225 + 25) / 25 = 10
    services.choisir_controle(candidat=c, scientifique="U11", francais_hg="U51", auteur=comptes.gestionnaire)
    assert a_jour(c.session)


def test_une_grille_transmise_puis_renvoyee_recalcule():
    m = monde()
    for u in UNITES:
        if u != "U31":
            services.ecrire_notes(
                saisies=[services.SaisieNote(candidat=m.candidat, unite=u, etat="note", valeur=Decimal(10))],
                source="test",
            )
    assert resultat(m.candidat).decision == "incomplet"
    grille = valider(m, grille_e31_complete(m, niveau="TS"))
    grille = circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.comptes.enseignant)
    assert (resultat(m.candidat).decision, resultat(m.candidat).points) == ("admis", Decimal("290.000"))
    circuit.renvoyer_grille(grille=grille, motif="erreur de date", auteur=m.comptes.gestionnaire)
    assert resultat(m.candidat).decision == "incomplet" and a_jour(m.candidat.session)


def test_changer_les_options_ne_laisse_pas_une_note_irrecevable(comptes):
    c = fabriques.candidat(division=comptes.division_a, facultative1="EPS")
    services.ecrire_notes(
        saisies=[services.SaisieNote(candidat=c, unite="UF1", etat="note", valeur=Decimal(15))], source="test"
    )
    propre, erreurs = imports.valider_candidat(
        {
            "numero_candidat": c.numero,
            "nom": c.nom,
            "prenom": c.prenom,
            "date_naissance": "14/03/2008",
            "uai": c.etablissement.uai,
            "statut": c.statut,
            "lv1": "en",
            "lv2": "es",
            "facultatives": "",
        },
        2026,
    )
    assert not erreurs
    with pytest.raises(services.OperationRefusee, match="UF1 : le candidat n'a pas choisi"):
        services.enregistrer_candidat(session=c.session, propre=propre, auteur=comptes.gestionnaire, candidat=c)
    assert Candidat.objects.get(pk=c.pk).facultative1 == "EPS"


# ---------------------------------------------------------------------------------------------------
# Le même verdict par toutes les portes
# ---------------------------------------------------------------------------------------------------

DIS_GROUPE_2 = "DIS : seule une unité obligatoire du premier groupe se dispense"


def _par_import(numero: str, unite: str, texte: str, groupe: str = "1") -> str:
    with pytest.raises(imports.ImportRefuse) as refus:
        imports.importer_notes(
            contenu=csv_bytes("numero_candidat;unite;note;groupe", f"{numero};{unite};{texte};{groupe}"),
            nom_fichier="n.csv",
            annee=2026,
        )
    return refus.value.erreurs[0].message.removeprefix("note ")


def _par_navigateur(comptes, c, unite: str, texte: str, groupe: str = "1") -> str:
    reponse = comptes.client(comptes.gestionnaire).post(
        f"/examens/candidats/{c.pk}/notes/{unite}/", {"note": texte, "groupe": groupe}
    )
    assert reponse.status_code == 422
    return reponse.json()["erreur"]


def _par_jury(comptes, c, unite: str, texte: str, groupe: str = "1") -> str:
    client = comptes.client(comptes.academie)
    reponse = client.post(
        f"/examens/candidats/{c.pk}/jury/note/",
        {"unite": unite, "note": texte, "motif": "m", "groupe": groupe},
    )
    # Refusée, la décision revient sur la fiche avec son formulaire rempli et l'erreur sous la note.
    return reponse.context["form_note"].errors["note"][0]


def test_dis_en_groupe_2_meme_refus_par_l_import_le_tableau_et_le_jury(comptes):
    c = fabriques.candidat(numero="A001", division=comptes.division_a, controle_scientifique="U11")
    assert _par_import("A001", "U11", "DIS", "2") == DIS_GROUPE_2
    assert _par_navigateur(comptes, c, "U11", "DIS", "2") == DIS_GROUPE_2
    assert _par_jury(comptes, c, "U11", "DIS", "2") == DIS_GROUPE_2
    assert not Note.objects.filter(candidat=c).exists()


@pytest.mark.parametrize(
    ("texte", "message"),
    [
        ("12,345", "12,345 : la note ne peut pas avoir plus de deux décimales"),
        ("20,5", "20,5 : la note doit être comprise entre 0 et 20"),
    ],
)
def test_meme_refus_par_l_import_le_tableau_et_la_grille(texte, message):
    m = monde()
    m.candidat.numero = "A001"
    m.candidat.save(update_fields=["numero"])
    assert _par_import("A001", "U31", texte) == message
    assert _par_navigateur(m.comptes, m.candidat, "U31", texte) == message
    with pytest.raises(saisie.SaisieInvalide) as refus:
        remplir(m.e31, m.candidat, m.comptes.enseignant, [], note_proposee=texte)
    assert str(refus.value) == message


def test_une_unite_facultative_non_choisie_meme_refus_partout(comptes):
    c = fabriques.candidat(numero="A001", division=comptes.division_a)
    message = "UF1 : le candidat n'a pas choisi de première unité facultative"
    assert _par_import("A001", "UF1", "14") == message
    assert _par_navigateur(comptes, c, "UF1", "14") == message


# ---------------------------------------------------------------------------------------------------
# Verrouiller ce qui est vrai, vérifier, émettre
# ---------------------------------------------------------------------------------------------------


def _perimer(candidat, unite="U11", valeur=Decimal("4.5")):
    """Une donnée changée hors de la porte (SQL direct) : le seul moyen d'obtenir un résultat périmé."""
    with connection.cursor() as curseur:
        curseur.execute(
            "UPDATE examens_note SET valeur = %s FROM examens_candidat c "
            "WHERE examens_note.candidat_id = c.id AND c.id = %s AND unite = %s",
            [valeur, candidat.pk, unite],
        )


def test_le_verrouillage_montre_les_resultats_qui_changent_puis_verrouille_apres_confirmation(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter(c, "12")
    _perimer(c, "U2", Decimal(0))  # 300 − 48 = 252 → 10,08 : toujours admis, mais sans mention
    with pytest.raises(services.ResultatsAChanger) as refus:
        services.verrouiller(session=c.session, auteur=comptes.administrateur)
    assert [str(d) for d in refus.value.differences] == [
        f"{c.numero} : mention Assez bien → ∅",
        f"{c.numero} : moyenne exacte 12,00 → 10,08",
    ]
    c.session.refresh_from_db()
    assert not c.session.verrouillee
    changes = services.verrouiller(session=c.session, auteur=comptes.administrateur, confirmation=refus.value.jeton)
    c.session.refresh_from_db()
    assert changes == 1 and c.session.verrouillee and resultat(c).moyenne == Decimal("10.08")


def test_le_verrouillage_sans_ecart_ne_demande_rien(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter(c, "12")
    assert services.verrouiller(session=c.session, auteur=comptes.administrateur) == 0


def test_verifier_resultats_liste_chaque_ecart_et_deliberer_les_compte(capsys):
    c = fabriques.candidat(numero="A001")
    noter(c, "12")
    call_command("verifier_resultats", "--session", "2026")
    assert "tous les résultats correspondent" in capsys.readouterr().out
    _perimer(c, "U31", Decimal(2))  # 300 − 40 = 260 → 10,40
    with pytest.raises(CommandError, match="1 résultat"):
        call_command("verifier_resultats", "--session", "2026")
    assert "A001 : moyenne exacte 12,00 → 10,40" in capsys.readouterr().out
    assert services.deliberer(session=c.session).changes == 1
    assert services.deliberer(session=c.session).changes == 0
    call_command("verifier_resultats", "--session", "2026")


def test_un_releve_dont_le_resultat_est_perime_n_est_pas_emis(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter(c, "12")
    services.verrouiller(session=c.session, auteur=comptes.administrateur)
    # Le résultat enregistré est altéré après le verrouillage (aucune porte ne le permet : SQL direct).
    Resultat.objects.filter(candidat=c).update(decision="ajourne")
    candidat = impression.candidats_a_imprimer(Candidat.objects.filter(pk=c.pk)).get()
    with pytest.raises(services.OperationRefusee, match="ne correspondent plus"):
        emission.emettre_releve(candidat=candidat, auteur=comptes.gestionnaire)
    Resultat.objects.filter(candidat=c).update(decision="admis")
    document, cree = emission.emettre_releve(candidat=candidat, auteur=comptes.gestionnaire)
    assert cree and document.donnees["empreinte_resultats"] == impression.empreinte_resultats(
        [(c.numero, resultat(c).empreinte)]
    )


def test_l_empreinte_suit_chaque_donnee_du_calcul(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter(c, "12")
    vues = {resultat(c).empreinte}
    services.attribuer_points_jury(candidat=c, points=Decimal(1), motif="m", auteur=comptes.gestionnaire)
    vues.add(resultat(c).empreinte)
    services.definir_blocage(candidat=c, source="pfmp", motif="justificatifs PFMP manquants")
    vues.add(resultat(c).empreinte)
    services.saisir_note(candidat=c, unite="U7", texte="13", auteur=comptes.gestionnaire)
    vues.add(resultat(c).empreinte)
    assert len(vues) == 4


def test_une_session_de_plus_de_500_candidats_s_ecrit_par_copy(comptes):
    """Au-delà de agora.copie.SEUIL_COPY lignes, les résultats passent par COPY dans une table temporaire."""
    from agora import copie

    modele = fabriques.candidat(division=comptes.division_a)
    nouveaux = Candidat.objects.bulk_create(
        Candidat(
            session=modele.session,
            numero=f"C{i:05d}",
            nom="NOM",
            prenom="Prénom",
            date_naissance=modele.date_naissance,
            etablissement=modele.etablissement,
            division=modele.division,
            statut="scolaire_public",
            lv1="en",
            lv2="es",
        )
        for i in range(copie.SEUIL_COPY + 1)
    )
    assert resultats.recalculer_session(modele.session) == len(nouveaux)
    assert Resultat.objects.filter(candidat__in=nouveaux, decision="incomplet").count() == len(nouveaux)
    services.definir_blocages(source="pfmp", motifs={c.pk: "pièces manquantes" for c in nouveaux})
    assert Resultat.objects.filter(candidat__in=nouveaux, decision="non_delivrable").count() == len(nouveaux)
    assert a_jour(modele.session)
